#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>
#include "cpython_shim.h"

static const cp_host *host;
static PyObject *callbacks;   /* list: a script's functions, by the id given to the host */
static PyObject *modules;     /* dict: loaded scripts by name */

static PyObject *failure(const char *what) {
    PyErr_SetString(PyExc_RuntimeError, what);
    return NULL;
}

static PyObject *py_print(PyObject *self, PyObject *args) {
    (void)self;
    const char *text;
    if (!PyArg_ParseTuple(args, "s", &text)) return NULL;
    host->print(host->context, text);
    Py_RETURN_NONE;
}

static PyObject *py_read_memory(PyObject *self, PyObject *args) {
    (void)self;
    unsigned long long address;
    unsigned int size;
    if (!PyArg_ParseTuple(args, "KI", &address, &size)) return NULL;
    if (size > (1u << 24)) return failure("read_memory: at most 16 MiB at a time");
    char *buffer = malloc(size ? size : 1);
    if (!buffer) return PyErr_NoMemory();
    uint32_t read = 0;
    host->read_memory(host->context, address, buffer, size, &read);
    PyObject *result = PyBytes_FromStringAndSize(buffer, read);
    free(buffer);
    return result;
}

static PyObject *py_write_memory(PyObject *self, PyObject *args) {
    (void)self;
    unsigned long long address;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "Ky*", &address, &data)) return NULL;
    int result = data.len > UINT32_MAX ? -1 : host->write_memory(host->context, address, data.buf, (uint32_t)data.len);
    PyBuffer_Release(&data);
    if (result != 0) return failure("write_memory: the memory cannot be written");
    Py_RETURN_NONE;
}

static PyObject *py_evaluate(PyObject *self, PyObject *args) {
    (void)self;
    const char *expression;
    uint64_t value;
    if (!PyArg_ParseTuple(args, "s", &expression)) return NULL;
    if (host->evaluate(host->context, expression, &value) != 0) return failure("evaluate: the expression cannot be evaluated");
    return PyLong_FromUnsignedLongLong(value);
}

static PyObject *py_register(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    uint64_t value;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    if (host->read_register(host->context, name, &value) != 0) return failure("register: no such register, or no thread");
    return PyLong_FromUnsignedLongLong(value);
}

static PyObject *py_symbol(PyObject *self, PyObject *args) {
    (void)self;
    unsigned long long address;
    char name[512];
    if (!PyArg_ParseTuple(args, "K", &address)) return NULL;
    if (host->symbol_name(host->context, address, name, sizeof name) != 0) Py_RETURN_NONE;
    return PyUnicode_FromString(name);
}

static PyObject *py_execute(PyObject *self, PyObject *args) {
    (void)self;
    const char *command;
    int failed = 0;
    if (!PyArg_ParseTuple(args, "s", &command)) return NULL;
    char *text = host->execute(host->context, command, &failed);
    PyObject *result = text ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace") : PyUnicode_FromString("");
    free(text);
    if (failed && result) {
        PyErr_SetObject(PyExc_RuntimeError, result);
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

/* Keeps a callable and returns its id. */
static int remember(PyObject *callable) {
    if (PyList_Append(callbacks, callable) != 0) return -1;
    return (int)PyList_Size(callbacks) - 1;
}

static PyObject *py_breakpoint(PyObject *self, PyObject *args) {
    (void)self;
    const char *expression;
    PyObject *callable;
    if (!PyArg_ParseTuple(args, "sO", &expression, &callable)) return NULL;
    if (!PyCallable_Check(callable)) return failure("breakpoint: the callback must be callable");
    int id = remember(callable);
    if (id < 0) return NULL;
    int breakpoint = host->add_breakpoint(host->context, expression, id);
    if (breakpoint < 0) return failure("breakpoint: it cannot be set there");
    return PyLong_FromLong(breakpoint);
}

static PyObject *py_command(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    PyObject *callable;
    if (!PyArg_ParseTuple(args, "sO", &name, &callable)) return NULL;
    if (!PyCallable_Check(callable)) return failure("command: the function must be callable");
    PyObject *globals = PyEval_GetGlobals();
    PyObject *module = globals ? PyDict_GetItemString(globals, "__name__") : NULL;
    const char *owner = module && PyUnicode_Check(module) ? PyUnicode_AsUTF8(module) : "script";
    int id = remember(callable);
    if (id < 0) return NULL;
    if (host->add_command(host->context, owner, name, id) != 0) return failure("command: not a command name, or taken");
    Py_RETURN_NONE;
}

static PyObject *py_sizeof(PyObject *self, PyObject *args) {
    (void)self;
    const char *type;
    uint64_t size;
    if (!PyArg_ParseTuple(args, "s", &type)) return NULL;
    if (host->type_size(host->context, type, &size) != 0) return failure("sizeof: no such type in the modules' DWARF");
    return PyLong_FromUnsignedLongLong(size);
}

static PyObject *py_offsetof(PyObject *self, PyObject *args) {
    (void)self;
    const char *type, *member;
    uint64_t offset;
    if (!PyArg_ParseTuple(args, "ss", &type, &member)) return NULL;
    if (host->member_offset(host->context, type, member, &offset) != 0) return failure("offsetof: no such type or member");
    return PyLong_FromUnsignedLongLong(offset);
}

static PyObject *py_threads(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    uint32_t tids[1024];
    int count = host->threads(host->context, tids, 1024);
    PyObject *list = PyList_New(0);
    for (int i = 0; list && i < count && i < 1024; i++) {
        PyObject *tid = PyLong_FromUnsignedLong(tids[i]);
        PyList_Append(list, tid);
        Py_XDECREF(tid);
    }
    return list;
}

static PyMethodDef methods[] = {
    {"_print", py_print, METH_VARARGS, "Prints text to the session's output."},
    {"read_memory", py_read_memory, METH_VARARGS, "read_memory(address, size) -> bytes (fewer where unreadable)"},
    {"write_memory", py_write_memory, METH_VARARGS, "write_memory(address, data)"},
    {"evaluate", py_evaluate, METH_VARARGS, "evaluate(masm_expression) -> int"},
    {"register", py_register, METH_VARARGS, "register(name) -> int, of the current thread"},
    {"symbol", py_symbol, METH_VARARGS, "symbol(address) -> 'module!name+0xoff' or None"},
    {"execute", py_execute, METH_VARARGS, "execute(command) -> its output; RuntimeError when it failed"},
    {"breakpoint", py_breakpoint, METH_VARARGS, "breakpoint(expression, callback) -> id; callback(id) returning true stops"},
    {"command", py_command, METH_VARARGS, "command(name, function): !script.name args calls function(args)"},
    {"sizeof", py_sizeof, METH_VARARGS, "sizeof(type) -> int, from DWARF"},
    {"offsetof", py_offsetof, METH_VARARGS, "offsetof(type, member) -> int, from DWARF"},
    {"threads", py_threads, METH_NOARGS, "threads() -> [tid, ...]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, "swdbg", "The debugger, to scripts.", -1, methods, NULL, NULL, NULL, NULL};

static PyObject *create(void) { return PyModule_Create(&definition); }

int cp_initialize(const cp_host *given) {
    if (host) return 0;
    host = given;
    if (PyImport_AppendInittab("swdbg", create) != 0) return -1;
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) return -1;
    callbacks = PyList_New(0);
    modules = PyDict_New();
    const char *setup =
        "import sys, swdbg\n"
        "class _Output:\n"
        "    def write(self, text):\n"
        "        swdbg._print(text)\n"
        "        return len(text)\n"
        "    def flush(self):\n"
        "        pass\n"
        "sys.stdout = sys.stderr = _Output()\n";
    return callbacks && modules && PyRun_SimpleString(setup) == 0 ? 0 : -1;
}

int cp_load(const char *path, const char *name) {
    FILE *file = fopen(path, "rb");
    if (!file) return -2;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    if (length < 0 || length > (16L << 20)) { fclose(file); return -2; }
    char *source = malloc((size_t)length + 1);
    size_t got = source ? fread(source, 1, (size_t)length, file) : 0;
    fclose(file);
    if (!source) return -2;
    source[got] = 0;
    PyObject *code = Py_CompileString(source, path, Py_file_input);
    free(source);
    if (!code) { PyErr_Print(); return -1; }
    PyObject *module = PyModule_New(name);
    PyObject *globals = module ? PyModule_GetDict(module) : NULL;
    if (!globals) { Py_DECREF(code); PyErr_Print(); return -1; }
    PyObject *file_name = PyUnicode_FromString(path);
    PyDict_SetItemString(globals, "__file__", file_name);
    Py_XDECREF(file_name);
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    PyDict_SetItemString(modules, name, module);
    PyObject *result = PyEval_EvalCode(code, globals, globals);
    Py_DECREF(code);
    Py_DECREF(module);
    if (!result) { PyErr_Print(); return -1; }
    Py_DECREF(result);
    return 0;
}

int cp_call_function(const char *name, const char *function) {
    PyObject *module = PyDict_GetItemString(modules, name);
    if (!module) return 0;
    PyObject *callable = PyObject_GetAttrString(module, function);
    if (!callable) { PyErr_Clear(); return 0; }
    PyObject *result = PyObject_CallNoArgs(callable);
    Py_DECREF(callable);
    if (!result) { PyErr_Print(); return -1; }
    Py_DECREF(result);
    return 1;
}

static int call(int callback, PyObject *argument, int *truthy) {
    if (!argument) { PyErr_Print(); return -1; }
    PyObject *callable = callback >= 0 && callback < PyList_Size(callbacks) ? PyList_GetItem(callbacks, callback) : NULL;
    if (!callable) { Py_DECREF(argument); return -1; }
    PyObject *result = PyObject_CallOneArg(callable, argument);
    Py_DECREF(argument);
    if (!result) { PyErr_Print(); return -1; }
    *truthy = PyObject_IsTrue(result) == 1;
    Py_DECREF(result);
    return 0;
}

int cp_call_with_text(int callback, const char *text, int *truthy) { return call(callback, PyUnicode_FromString(text), truthy); }

int cp_call_with_number(int callback, long number, int *truthy) { return call(callback, PyLong_FromLong(number), truthy); }

void cp_unload(const char *name) {
    if (PyDict_GetItemString(modules, name)) PyDict_DelItemString(modules, name);
}
