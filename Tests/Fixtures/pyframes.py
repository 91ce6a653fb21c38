# Python frames known by construction for !py: <module> calls outer (which has locals of
# each kind), outer calls middle, middle calls inner, inner sleeps in time.sleep
# (clock_nanosleep: where the test stops).
import time


def inner(n):
    time.sleep(n)


def middle(n):
    return inner(n * 2)


def outer():
    label, count, ratio, missing, negative = "outer", 3, 1.5, None, -42
    return middle(0.25)


outer()
