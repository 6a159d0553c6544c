/// One credential of each well-known format the agent scans for, and a look-alike that must pass.
///
/// The samples are made from pieces at run time, so that this repository holds no string a
/// secret scanner (GitHub's own push protection among them) would take for a credential. None
/// of them is a real credential.
public struct SecretSample: Sendable, CustomStringConvertible {
    /// The kind the agent reports (`SecretFormat.rawValue`).
    public let kind: String
    public let truePositive: String
    public let lookAlike: String
    /// A file name for tests that push one file per sample.
    public var fileName: String { kind.lowercased().replacingOccurrences(of: " ", with: "-") + ".txt" }
    public var description: String { kind }
}

public enum SecretSamples {
    /// `count` characters of `alphabet`, varied (not a run of one letter).
    public static func characters(_ count: Int, from alphabet: String = "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0") -> String {
        let letters = Array(alphabet)
        return String((0..<count).map { letters[($0 * 7 + $0 / letters.count) % letters.count] })
    }

    static let upper = "QWERTYUPASDFGHJKLZXCVBNM234567"
    static let letters = "aBcDeFgHiJkLmNoPqRsTuVwXyZ"

    public static let all: [SecretSample] = [
        SecretSample(kind: "GitHub token", truePositive: "gh" + "p_" + characters(36), lookAlike: "ghp_your_token_here"),
        SecretSample(
            kind: "GitHub fine-grained token", truePositive: "github" + "_pat_" + characters(22) + "_" + characters(59),
            lookAlike: "github_pat_example"),
        SecretSample(kind: "Anthropic API key", truePositive: "sk-" + "ant-api03-" + characters(93) + "AA", lookAlike: "sk-ant-api03-your-key"),
        SecretSample(kind: "OpenAI API key", truePositive: "sk-" + "proj-" + characters(48), lookAlike: "sk-proj-your-key"),
        SecretSample(kind: "AWS access key ID", truePositive: "AK" + "IA" + characters(16, from: upper), lookAlike: "AKIA" + characters(16, from: letters)),
        SecretSample(
            kind: "AWS secret access key", truePositive: "aws_secret_access_key = " + characters(40),
            lookAlike: "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"),
        SecretSample(
            kind: "private key",
            truePositive: "-----BEGIN " + "RSA PRIVATE KEY-----\n" + characters(64) + "\n" + characters(64) + "\n-----END RSA PRIVATE KEY-----",
            lookAlike: "-----BEGIN PUBLIC KEY-----\n" + characters(64) + "\n-----END PUBLIC KEY-----"),
        SecretSample(
            kind: "Slack token", truePositive: "xo" + "xb-" + "123456789012-1234567890123-" + characters(24), lookAlike: "xoxb-your-token"),
        SecretSample(
            kind: "Slack webhook URL", truePositive: "https://hooks.slack" + ".com/services/T01234567/B01234567/" + characters(24),
            lookAlike: "https://hooks.slack.com/services/T/B/x"),
        SecretSample(kind: "Stripe live key", truePositive: "sk" + "_live_" + characters(24), lookAlike: "sk_test_" + characters(24)),
        SecretSample(kind: "Google API key", truePositive: "AI" + "za" + characters(35), lookAlike: "AIza" + characters(20)),
        SecretSample(kind: "GitLab token", truePositive: "gl" + "pat-" + characters(20), lookAlike: "glpat-short"),
        SecretSample(kind: "npm token", truePositive: "np" + "m_" + characters(36), lookAlike: "npm_config_cache"),
        SecretSample(kind: "PyPI token", truePositive: "pypi-" + "AgEIcHlwaS5vcmc" + characters(60), lookAlike: "pypi-AgEIcHlwaS5vcmc"),
        SecretSample(kind: "Hugging Face token", truePositive: "hf" + "_" + characters(34, from: letters), lookAlike: "hf_hub_download"),
    ]
}
