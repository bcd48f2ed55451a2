internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Error numbers under swift-system-style internal names, so that code inside `ZMQError`
// (whose unavailable `EAGAIN`-style members shadow the C names) can reach the C values.
internal var _EAGAIN: CInt { EAGAIN }
internal var _EINTR: CInt { EINTR }
internal var _EINVAL: CInt { EINVAL }
internal var _EPROTONOSUPPORT: CInt { EPROTONOSUPPORT }
internal var _EADDRINUSE: CInt { EADDRINUSE }
internal var _EADDRNOTAVAIL: CInt { EADDRNOTAVAIL }
internal var _EHOSTUNREACH: CInt { EHOSTUNREACH }
internal var _ENOTSOCK: CInt { ENOTSOCK }
internal var _EMSGSIZE: CInt { EMSGSIZE }
internal var _ENOTSUP: CInt { ENOTSUP }
internal var _ENOENT: CInt { ENOENT }
internal var _ENOMEM: CInt { ENOMEM }
internal var _EMFILE: CInt { EMFILE }
internal var _ENODEV: CInt { ENODEV }
internal var _ETERM: CInt { czmq_eterm() }
internal var _EFSM: CInt { czmq_efsm() }
internal var _EMTHREAD: CInt { czmq_emthread() }
internal var _ENOCOMPATPROTO: CInt { czmq_enocompatproto() }
