import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the child does with its descriptors between fork and exec: `posix_spawn`'s file
/// actions.
struct SpawnActions {
    /// Heap-allocated, since the C type must not move once initialised.
    let actions: UnsafeMutablePointer<posix_spawn_file_actions_t>

    init() {
        actions = .allocate(capacity: 1)
        posix_spawn_file_actions_init(actions)
    }

    /// Frees the actions; call it once, when the child has started (or failed to).
    func destroy() {
        posix_spawn_file_actions_destroy(actions)
        actions.deallocate()
    }

    /// Opens `path` as descriptor `target` in the child.
    func open(_ target: Int32, _ path: String, _ flags: Int32) throws(ChildProcessError) {
        try check(posix_spawn_file_actions_addopen(actions, target, path, flags, 0o600), "open \(path)")
    }

    /// Makes `descriptor` of the parent descriptor `target` in the child. The copy is not
    /// close-on-exec, even when `descriptor` is.
    func duplicate(_ descriptor: Int32, as target: Int32) throws(ChildProcessError) {
        try check(posix_spawn_file_actions_adddup2(actions, descriptor, target), "dup2 \(descriptor)")
    }

    /// Closes every descriptor from 3 up in the child, where glibc can (2.34 and later):
    /// descriptors that other code of the test process left inheritable then don't leak into
    /// it either. The library's own descriptors are close-on-exec anyway.
    func closeTheRest() throws(ChildProcessError) {
        guard let closeFrom = Self.addCloseFrom else { return }
        try check(closeFrom(actions, 3), "closefrom 3")
    }

    /// `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not
    /// import (it is a GNU extension), looked up at run time.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(
            symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    private func check(_ status: Int32, _ action: String) throws(ChildProcessError) {
        guard status == 0 else {
            throw ChildProcessError("cannot prepare the child (\(action)): \(String(cString: strerror(status)))")
        }
    }
}
