// Swift fixture: a struct with a method, a generic function and a global, built with swiftc -g.
struct Rectangle {
    var width: Double
    var height: Double

    func area() -> Double {
        return width * height
    }
}

@inline(never)
func largest<T: Comparable>(_ a: T, _ b: T) -> T {
    return a > b ? a : b
}

var total = Rectangle(width: 3, height: 4).area()
total += Double(largest(7, 9))
print("total \(total)")
