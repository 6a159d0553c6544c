/// `withUnsafeBytes` that keep a typed error (the standard library's versions `rethrows`,
/// which loses the error's type).
extension Array where Element == UInt8 {
    mutating func withMutableBytes<Value, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        try withUnsafeMutableBytes { raw in Result { () throws(Failure) -> Value in try body(raw) } }.get()
    }

    func withBytes<Value, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Value) throws(Failure) -> Value {
        try withUnsafeBytes { raw in Result { () throws(Failure) -> Value in try body(raw) } }.get()
    }
}

extension ArraySlice where Element == UInt8 {
    func withBytes<Value, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Value) throws(Failure) -> Value {
        try withUnsafeBytes { raw in Result { () throws(Failure) -> Value in try body(raw) } }.get()
    }
}
