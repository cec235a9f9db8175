/// Mutable tables while the document is read; frozen into `TOMLTable` at the end.
final class TableNode {
    enum State {
        /// Created on the way to a deeper `[a.b.c]` header; `[a]` may still define it.
        case implicit
        /// Defined by a `[header]`, `[[header]]`, or the document root.
        case defined
        /// Created by a dotted key (`a.b = 1`); only further dotted keys may add to it.
        case dotted
        /// An inline table being read; sealed once read.
        case inline
    }

    enum Child {
        case value(TOMLValue)
        case table(TableNode)
        case tableArray(TableArrayNode)
    }

    var state: State
    let line: Int
    let path: [String]
    var keys: [String] = []
    var children: [String: Child] = [:]

    init(state: State, line: Int, path: [String]) {
        self.state = state
        self.line = line
        self.path = path
    }

    func set(_ key: String, _ child: Child) {
        if children.updateValue(child, forKey: key) == nil { keys.append(key) }
    }

    func freeze() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            guard let child = children[key] else { continue }
            switch child {
            case .value(let value):
                table.append(key, value)
            case .table(let node):
                table.append(key, TOMLValue(.table(node.freeze()), line: node.line, path: node.path))
            case .tableArray(let array):
                let elements = array.elements.map { TOMLValue(.table($0.freeze()), line: $0.line, path: $0.path) }
                table.append(key, TOMLValue(.array(elements), line: array.line, path: array.path))
            }
        }
        return table
    }
}
