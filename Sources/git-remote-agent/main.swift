print("git-remote-agent: not yet")
