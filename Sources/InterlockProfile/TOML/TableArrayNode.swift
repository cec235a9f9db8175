/// An array of tables (`[[a.b]]`) while the document is read.
final class TableArrayNode {
    let line: Int
    let path: [String]
    var elements: [TableNode] = []
    init(line: Int, path: [String]) {
        self.line = line
        self.path = path
    }
}
