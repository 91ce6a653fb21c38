// A Swift class hierarchy with a known vtable and stored properties, for !swift: Shape's
// subclasses Circle (final, an override only) and Square (a property and a method of its own).
class Shape {
    var name: String
    var sides: Int
    init(name: String, sides: Int) { self.name = name; self.sides = sides }
    func area() -> Double { return 0 }
    func describe() -> String { return "\(name) \(area())" }
}

final class Circle: Shape {
    var radius: Double
    init(radius: Double) { self.radius = radius; super.init(name: "circle", sides: 0) }
    override func area() -> Double { return 3 * radius * radius }
}

class Square: Shape {
    var side: Int
    init(side: Int) { self.side = side; super.init(name: "square", sides: 4) }
    override func area() -> Double { return Double(side * side) }
    func perimeter() -> Int { return 4 * side }
}

struct Point { var x: Int; var y: Int }
enum Color { case red, green }

@inline(never) func inspect(_ shape: Shape) { print(shape.describe()) }

let shapes: [Shape] = [Circle(radius: 2), Square(side: 3)]
for shape in shapes { inspect(shape) }
print(Point(x: 1, y: 2), Color.green)
