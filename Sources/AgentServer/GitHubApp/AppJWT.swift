import AgentSystem
import FoundationEssentials
import _CryptoExtras

/// The JSON Web Token a GitHub App signs to ask for installation tokens: RS256 (RSASSA-PKCS1-v1_5
/// with SHA-256, by swift-crypto), issued 60 seconds in the past (GitHub's advice for clock
/// drift), valid 9 minutes (GitHub allows at most 10), issuer the App id.
///
/// The private key stays in its `LockedSecret`; it is parsed into the crypto library's own memory
/// only while one token is signed.
enum AppJWT {
    /// Why a JWT cannot be made: the key file is not an RSA private key swift-crypto accepts.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let backdate: Int64 = 60
    static let lifetime: Int64 = 540

    /// - Parameters:
    ///   - appID: `GITHUB_APP_ID`.
    ///   - privateKey: the PEM, locked.
    ///   - now: seconds since 1970 by this machine's clock.
    static func make(appID: String, privateKey: LockedSecret, now: Int64) throws(Failure) -> String {
        let header = base64URL(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        let claims = base64URL(Array(#"{"iat":\#(now - backdate),"exp":\#(now + lifetime),"iss":"\#(appID)"}"#.utf8))
        let signingInput = header + "." + claims
        let signature: _RSA.Signing.RSASignature
        do {
            let key = try privateKey.withUnsafeBytes { bytes in
                try _RSA.Signing.PrivateKey(pemRepresentation: String(decoding: bytes, as: UTF8.self))
            }
            signature = try key.signature(for: Array(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw Failure(description: "GITHUB_APP_PRIVATE_KEY_FILE: the file is not an RSA private key of 2048 bits or more in PEM")
        }
        return signingInput + "." + base64URL(Array(signature.rawRepresentation))
    }

    /// Base64 with the URL alphabet and no padding (RFC 7515).
    static func base64URL(_ bytes: [UInt8]) -> String {
        String(
            Data(bytes).base64EncodedString().compactMap { character -> Character? in
                switch character {
                case "+": "-"
                case "/": "_"
                case "=": nil
                default: character
                }
            })
    }
}
