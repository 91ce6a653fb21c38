// libedit's el_set/history are variadic; these wrappers give Swift a fixed signature.
#ifndef CLINEEDIT_H
#define CLINEEDIT_H

/// Prepares line editing with history; `prompt` is copied on every call to le_set_prompt.
void le_init(const char *program_name);
void le_set_prompt(const char *prompt);
/// Reads one line without its newline; returns NULL at end of input. The buffer belongs to libedit.
const char *le_read_line(int *length);
void le_add_history(const char *line);
void le_end(void);

#endif
