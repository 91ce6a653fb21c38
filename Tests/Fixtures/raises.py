# A script whose top level raises: .scriptload reports it; the session goes on.
import swdbg
print("before the error")
undefined_name_here()
