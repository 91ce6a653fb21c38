// C++ fixture: namespaces, classes with virtual methods, a template, an overload.
#include <cstdio>

namespace geometry {

struct Shape {
    virtual ~Shape() {}
    virtual double area() const = 0;
};

class Rectangle : public Shape {
public:
    Rectangle(double width, double height) : width_(width), height_(height) {}
    double area() const override { return width_ * height_; }
private:
    double width_;
    double height_;
};

template <typename T>
T largest(T a, T b) {
    return a > b ? a : b;
}

int scale(int value) { return value * 2; }
double scale(double value) { return value * 2.5; }

}  // namespace geometry

int main() {
    geometry::Rectangle rectangle(3, 4);
    const geometry::Shape &shape = rectangle;
    double total = shape.area();
    total += geometry::largest<int>(7, 9);
    total += geometry::scale(5) + geometry::scale(1.0);
    std::printf("total %.1f\n", total);
    return 0;
}
