#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// The mounts at and below the workspace, from /proc/self/mountinfo (which polls POLLPRI on any
/// change of the mount table). inotify follows local file systems only, and a mount inside the
/// workspace changes what the walk sees without any inotify event.
struct MountWatch {
    let fd: Int32
    let workspace: String
    private var baseline: [String]

    /// File systems whose every change passes through this kernel's VFS.
    static let localTypes: Set<String> = ["ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "bcachefs", "zfs",
                                          "overlay", "jfs", "reiserfs", "nilfs2", "ramfs"]

    static func open(workspace: String) -> Result<MountWatch, KeeperFailure> {
        let fd = Glibc.open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(KeeperFailure(text: "/proc/self/mountinfo unreadable")) }
        var watch = MountWatch(fd: fd, workspace: workspace, baseline: [])
        guard let mounts = watch.relevant() else { return .failure(KeeperFailure(text: "/proc/self/mountinfo unreadable")) }
        for mount in mounts {
            let type = mount.split(separator: " ").last.map(String.init) ?? ""
            guard localTypes.contains(type) else {
                return .failure(KeeperFailure(text: "file system \(type) does not report every change to inotify"))
            }
        }
        watch.baseline = mounts
        return .success(watch)
    }

    /// Why the mounts that matter changed, or nil.
    mutating func changed() -> String? {
        guard let now = relevant() else { return "/proc/self/mountinfo unreadable" }
        return now == baseline ? nil : "mounts in the workspace changed"
    }

    /// `mountpoint fstype` of the mount holding the workspace and of every mount below it.
    private func relevant() -> [String]? {
        guard lseek(fd, 0, SEEK_SET) == 0 else { return nil }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in try? SystemCall.retrying("read") { read(fd, raw.baseAddress, raw.count) } }
            guard let n = count else { return nil }
            if n == 0 { break }
            text += chunk[0..<n]
        }
        var holder: (String, String)?
        var below: [String] = []
        for line in text.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20)
            guard fields.count > 7, let dash = fields.firstIndex(where: { $0.elementsEqual([0x2D]) }), dash + 1 < fields.count else { continue }
            let point = Self.unescape(fields[4])
            let type = String(decoding: fields[dash + 1], as: UTF8.self)
            if Path.isWithin(workspace, point), point.count >= (holder?.0.count ?? 0) {
                holder = (point, "\(point) \(String(decoding: fields[0], as: UTF8.self)) \(type)")
            }
            if Path.isWithin(point, workspace) && point != workspace {
                below.append("\(point) \(String(decoding: fields[0], as: UTF8.self)) \(type)")
            }
        }
        return (holder.map { [$0.1] } ?? []) + below.sorted()
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = field.startIndex
        while i < field.endIndex {
            if field[i] == 0x5C, i + 3 < field.endIndex,
               let value = UInt8(String(decoding: field[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(value)
                i += 4
            } else {
                out.append(field[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
