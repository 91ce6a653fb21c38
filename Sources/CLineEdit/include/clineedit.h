// libedit's el_set/history are variadic; these wrappers give Swift a fixed signature.
#ifndef CLINEEDIT_H
#define CLINEEDIT_H

/// Completes the line up to the cursor: returns a malloc'd string, the text to insert at the
/// cursor, then (after a newline) the candidates to list, one per line; NULL for nothing.
typedef char *(*le_completer)(const char *line_to_cursor);

/// Prepares line editing with history (`history_size` entries, loaded from `history_file`
/// when not NULL) and Tab completion through `completer` (NULL for none).
void le_init(const char *program_name, const char *history_file, int history_size, le_completer completer);
void le_set_prompt(const char *prompt);
/// Reads one line without its newline. Returns NULL at the end of input with *status 0, when
/// Ctrl-C cancelled the line with *status 1, and when the terminal failed (it went away:
/// EIO) with *status 2. The buffer belongs to libedit.
const char *le_read_line(int *status);
void le_add_history(const char *line);
/// Saves the history (to the file given to le_init) and ends line editing.
void le_end(void);

#endif
