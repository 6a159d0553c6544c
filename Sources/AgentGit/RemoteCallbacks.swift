import CLibGit2

/// libgit2's C callbacks. They capture nothing (C function pointers cannot); their state is the
/// `TransferObserver` passed as `payload`.
enum RemoteCallbacks {
    static func make(for observer: TransferObserver) -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.credentials = credentials
        callbacks.transfer_progress = transferProgress
        callbacks.push_transfer_progress = pushTransferProgress
        callbacks.pack_progress = packProgress
        callbacks.sideband_progress = observer.wantsServerMessages ? sideband : nil
        callbacks.push_update_reference = pushUpdateReference
        callbacks.push_negotiation = pushNegotiation
        callbacks.transport = SmartTransport.transport
        callbacks.payload = Unmanaged.passUnretained(observer).toOpaque()
        return callbacks
    }

    private static func observer(_ payload: UnsafeMutableRawPointer?) -> TransferObserver? {
        payload.map { Unmanaged<TransferObserver>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The token, only for the configured host, at most `maximumCredentialAttempts` times.
    static let credentials: git_credential_acquire_cb = { out, url, _, allowedTypes, payload in
        guard let out, let observer = observer(payload) else { return -1 }
        let stop = observer.stopCode()
        if stop != 0 { return stop }
        let host = url.map { String(cString: $0) }.map(UpstreamHost.of) ?? ""
        let expected = observer.credentials.host
        guard host == expected.lowercased() else {
            observer.state.withLock { $0.authenticationFailure = "\(host) asked for credentials; the token is only for \(expected)" }
            return -1
        }
        guard allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
            observer.state.withLock { $0.authenticationFailure = "\(host) asked for a kind of credential the agent does not have" }
            return -1
        }
        let attempt = observer.state.withLock { state -> Int in
            state.credentialAttempts += 1
            return state.credentialAttempts
        }
        guard attempt <= TransferObserver.maximumCredentialAttempts else {
            let message = "the token was rejected by \(expected) (401)"
            observer.state.withLock { $0.authenticationFailure = message }
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
            return Int32(GIT_EUSER.rawValue)
        }
        if let reason = observer.credentials.unavailableReason {
            observer.state.withLock { $0.authenticationFailure = reason }
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), reason)
            return Int32(GIT_EUSER.rawValue)
        }
        return observer.credentials.withToken { token in
            git_credential_userpass_plaintext_new(out, "x-access-token", token)
        }
    }

    static let transferProgress: git_indexer_progress_cb = { stats, payload in
        guard let stats = stats?.pointee, let observer = observer(payload) else { return 0 }
        let stop = observer.stopCode()
        if stop != 0 { return stop }
        if stats.received_objects < stats.total_objects || stats.total_deltas == 0 {
            observer.progress(
                .receiving(received: Int(stats.received_objects), total: Int(stats.total_objects), bytes: Int(stats.received_bytes)),
                isFinal: stats.received_objects == stats.total_objects
            )
        } else {
            observer.progress(
                .resolving(indexed: Int(stats.indexed_deltas), total: Int(stats.total_deltas)),
                isFinal: stats.indexed_deltas == stats.total_deltas
            )
        }
        return 0
    }

    static let pushTransferProgress: git_push_transfer_progress_cb = { current, total, bytes, payload in
        guard let observer = observer(payload) else { return 0 }
        let stop = observer.stopCode()
        if stop != 0 { return stop }
        observer.progress(.writing(current: Int(current), total: Int(total), bytes: bytes), isFinal: current == total)
        return 0
    }

    static let packProgress: git_packbuilder_progress = { stage, current, total, payload in
        guard let observer = observer(payload) else { return 0 }
        let stop = observer.stopCode()
        if stop != 0 { return stop }
        let name = stage == Int32(GIT_PACKBUILDER_ADDING_OBJECTS.rawValue) ? "counting" : "compressing"
        observer.progress(.packing(stage: name, current: Int(current), total: Int(total)), isFinal: current == total)
        return 0
    }

    static let sideband: git_transport_message_cb = { text, length, payload in
        guard let text, length > 0, let observer = observer(payload) else { return 0 }
        let stop = observer.stopCode()
        if stop != 0 { return stop }
        text.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            observer.sideband(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
        return 0
    }

    static let pushUpdateReference: git_push_update_reference_cb = { name, status, payload in
        guard let name, let observer = observer(payload) else { return 0 }
        let reference = String(cString: name)
        if let status {
            let message = String(cString: status)
            observer.state.withLock { $0.referenceStatus[reference] = message }
        }
        return 0
    }

    static let pushNegotiation: git_push_negotiation = { updates, count, payload in
        guard let observer = observer(payload) else { return -1 }
        var negotiated: [NegotiatedUpdate] = []
        for index in 0..<count {
            guard let update = updates?[index]?.pointee else { continue }
            let remote = ObjectID(update.src)
            let new = ObjectID(update.dst)
            negotiated.append(
                NegotiatedUpdate(
                    sourceReference: update.src_refname.map { String(cString: $0) } ?? "",
                    destinationReference: update.dst_refname.map { String(cString: $0) } ?? "",
                    remoteID: remote.isZero ? nil : remote,
                    newID: new.isZero ? nil : new
                ))
        }
        if let refusal = observer.negotiate(negotiated) {
            observer.state.withLock { $0.negotiationFailure = refusal }
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), refusal)
            return Int32(GIT_EUSER.rawValue)
        }
        return 0
    }
}

/// `host[:port]` of a URL, lowercased, without user info.
enum UpstreamHost {
    static func of(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return "" }
        var authority = url[scheme.upperBound...].prefix { $0 != "/" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return authority.lowercased()
    }
}
