import CLibGit2

/// libgit2's smart HTTP transport, wrapped so that the agent sees the push conversation:
/// it reads the capabilities the server advertises for `git-receive-pack`, and for an atomic
/// push adds the `atomic` capability to the command list (libgit2 1.5 cannot ask for it), so
/// that the server itself applies all refs or none, exactly as with plain `git push --atomic`.
///
/// Used for every remote the agent makes (`git_remote_callbacks.transport`), which also means
/// only smart HTTP(S) is ever spoken: no other transport can be chosen by a URL.
enum SmartTransport {
    /// `git_transport_cb`: the smart transport over the wrapping subtransport below.
    static let transport: git_transport_cb = { out, owner, payload in
        var definition = git_smart_subtransport_definition(callback: subtransport, rpc: 1, param: payload)
        return git_transport_smart(out, owner, &definition)
    }

    private static func observer(_ pointer: UnsafeMutableRawPointer?) -> TransferObserver? {
        pointer.map { Unmanaged<TransferObserver>.fromOpaque($0).takeUnretainedValue() }
    }

    private static let subtransport: git_smart_subtransport_cb = { out, owner, param in
        var inner: UnsafeMutablePointer<git_smart_subtransport>?
        let result = git_smart_subtransport_http(&inner, owner, nil)
        guard result == 0, let inner else { return result < 0 ? result : -1 }
        let wrapper = UnsafeMutablePointer<agent_subtransport>.allocate(capacity: 1)
        wrapper.initialize(to: agent_subtransport())
        wrapper.pointee.inner = inner
        wrapper.pointee.owner = param
        wrapper.pointee.parent.action = action
        wrapper.pointee.parent.close = { transport in
            guard let transport else { return 0 }
            let own = UnsafeMutableRawPointer(transport).assumingMemoryBound(to: agent_subtransport.self)
            return own.pointee.inner?.pointee.close?(own.pointee.inner) ?? 0
        }
        wrapper.pointee.parent.free = { transport in
            guard let transport else { return }
            let own = UnsafeMutableRawPointer(transport).assumingMemoryBound(to: agent_subtransport.self)
            own.pointee.inner?.pointee.free?(own.pointee.inner)
            own.deinitialize(count: 1)
            own.deallocate()
        }
        out?.pointee = UnsafeMutableRawPointer(wrapper).assumingMemoryBound(to: git_smart_subtransport.self)
        return 0
    }

    private static let action:
        @convention(c) (
            UnsafeMutablePointer<UnsafeMutablePointer<git_smart_subtransport_stream>?>?, UnsafeMutablePointer<git_smart_subtransport>?,
            UnsafePointer<CChar>?, git_smart_service_t
        ) -> Int32 = { out, transport, url, service in
            guard let transport else { return -1 }
            let own = UnsafeMutableRawPointer(transport).assumingMemoryBound(to: agent_subtransport.self)
            guard let inner = own.pointee.inner, let innerAction = inner.pointee.action else { return -1 }
            var innerStream: UnsafeMutablePointer<git_smart_subtransport_stream>?
            let result = innerAction(&innerStream, inner, url, service)
            guard result == 0, let innerStream else { return result < 0 ? result : -1 }
            let stream = UnsafeMutablePointer<agent_subtransport_stream>.allocate(capacity: 1)
            stream.initialize(to: agent_subtransport_stream())
            stream.pointee.parent.subtransport = transport
            stream.pointee.parent.read = read
            stream.pointee.parent.write = write
            stream.pointee.parent.free = { stream in
                guard let stream else { return }
                let own = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: agent_subtransport_stream.self)
                own.pointee.inner?.pointee.free?(own.pointee.inner)
                if let pending = own.pointee.pending {
                    UnsafeMutableRawPointer(pending).deallocate()
                }
                own.deinitialize(count: 1)
                own.deallocate()
            }
            stream.pointee.inner = innerStream
            stream.pointee.owner = own.pointee.owner
            stream.pointee.service = Int32(service.rawValue)
            if service == GIT_SERVICE_RECEIVEPACK {
                stream.pointee.pending = UnsafeMutableRawPointer.allocate(byteCount: SmartTransport.pendingCapacity, alignment: 16).assumingMemoryBound(
                    to: CChar.self)
                stream.pointee.pending_capacity = SmartTransport.pendingCapacity
            }
            out?.pointee = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_smart_subtransport_stream.self)
            return 0
        }

    private static let read:
        @convention(c) (UnsafeMutablePointer<git_smart_subtransport_stream>?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) ->
            Int32 = { stream, buffer, size, bytesRead in
                guard let stream else { return -1 }
                let own = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: agent_subtransport_stream.self)
                guard let inner = own.pointee.inner, let innerRead = inner.pointee.read else { return -1 }
                let flushed = flush(own)  // the request body is complete once libgit2 reads the answer
                if flushed != 0 { return flushed }
                let result = innerRead(inner, buffer, size, bytesRead)
                if result == 0, own.pointee.service == Int32(GIT_SERVICE_RECEIVEPACK_LS.rawValue), let buffer, let count = bytesRead?.pointee,
                    count > 0, let observer = observer(own.pointee.owner)
                {
                    buffer.withMemoryRebound(to: UInt8.self, capacity: count) {
                        observer.recordAdvertisement(UnsafeBufferPointer(start: $0, count: count))
                    }
                }
                return result
            }

    private static let write: @convention(c) (UnsafeMutablePointer<git_smart_subtransport_stream>?, UnsafePointer<CChar>?, Int) -> Int32 = {
        stream, buffer, length in
        guard let stream else { return -1 }
        let own = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: agent_subtransport_stream.self)
        guard let inner = own.pointee.inner, let innerWrite = inner.pointee.write else { return -1 }
        let isFirstCommandWrite = own.pointee.service == Int32(GIT_SERVICE_RECEIVEPACK.rawValue) && own.pointee.has_written == 0
        own.pointee.has_written = 1
        guard isFirstCommandWrite, let observer = observer(own.pointee.owner), observer.isAtomicPush, let buffer else {
            return gather(own, buffer, length, inner: inner, innerWrite: innerWrite)
        }
        let commands = buffer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        guard let atomic = PktLine.addingAtomic(to: commands) else {
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), "the agent could not make the push atomic; nothing was sent")
            return -1
        }
        return atomic.withUnsafeBytes { raw in
            gather(own, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, inner: inner, innerWrite: innerWrite)
        }
    }

    /// Bytes gathered per HTTP chunk of a push body.
    static let pendingCapacity = 256 * 1024

    private typealias InnerWrite = @convention(c) (UnsafeMutablePointer<git_smart_subtransport_stream>?, UnsafePointer<CChar>?, Int) -> Int32

    /// Appends to the stream's pending bytes, handing them on whenever the buffer is full (a
    /// stream without a buffer writes straight through).
    private static func gather(
        _ own: UnsafeMutablePointer<agent_subtransport_stream>,
        _ bytes: UnsafePointer<CChar>?,
        _ length: Int,
        inner: UnsafeMutablePointer<git_smart_subtransport_stream>,
        innerWrite: InnerWrite
    ) -> Int32 {
        guard let pending = own.pointee.pending, let bytes else { return innerWrite(inner, bytes, length) }
        let capacity = own.pointee.pending_capacity
        if own.pointee.pending_length + length > capacity {
            let flushed = flush(own)
            if flushed != 0 { return flushed }
        }
        if length >= capacity { return innerWrite(inner, bytes, length) }
        (pending + own.pointee.pending_length).update(from: bytes, count: length)
        own.pointee.pending_length += length
        return 0
    }

    /// Hands the pending bytes to the HTTP stream.
    private static func flush(_ own: UnsafeMutablePointer<agent_subtransport_stream>) -> Int32 {
        guard let pending = own.pointee.pending, own.pointee.pending_length > 0, let inner = own.pointee.inner,
            let innerWrite = inner.pointee.write
        else { return 0 }
        let length = own.pointee.pending_length
        own.pointee.pending_length = 0
        return innerWrite(inner, pending, length)
    }
}
