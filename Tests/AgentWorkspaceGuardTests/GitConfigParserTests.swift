import AgentWorkspaceGuard
import Testing

struct GitConfigParserTests {
    @Test func placeholder() {}
}
