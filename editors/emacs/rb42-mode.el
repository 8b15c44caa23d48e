;;; rb42-mode.el --- Major mode for runbook files  -*- lexical-binding: t; -*-

;; Keywords: languages, tools
;; Package-Requires: ((emacs "27.1"))

;;; Commentary:

;; Highlighting of the runbook language (.rb42 files) and of the rhai
;; code inside step, guard, `when', rollback and `finally' bodies;
;; indentation in the layout of `runbook fmt'; comments; imenu entries
;; for procedures and steps; commands that check, format and plan the
;; file; and the language server `runbook lsp' registered with eglot.
;;
;; The only braces that are not rhai bodies are those of
;; `runbook "name" {', `procedure ... {' and `host id ... {' (the block
;; opens on its header's line).
;;
;; Install: put this file on `load-path' and (require 'rb42-mode).

;;; Code:

(require 'compile)

(defgroup rb42 nil
  "Runbook files (.rb42)."
  :group 'languages
  :prefix "rb42-")

(defcustom rb42-indent-offset 2
  "Columns per level of indentation, as `runbook fmt' lays files out."
  :type 'integer
  :safe #'integerp)

(defcustom rb42-runbook-command "runbook"
  "The runbook program."
  :type 'string)

(defconst rb42-keywords
  '("all" "always" "as" "backoff" "command" "confirm" "contact" "default"
    "description" "env" "every" "file" "finally" "forks" "from" "group"
    "guard" "help" "host" "if" "inventory" "journal" "let" "none" "of" "on" "one" "option" "optional"
    "owner" "param" "procedure" "prompt" "retry" "rollback" "runbook"
    "secret" "step" "tags" "timeout" "tolerate" "use" "when")
  "The keywords of the runbook language (the grammar's kw_ rules).")

(defconst rb42-host-settings '("address" "user" "port" "identity" "jump")
  "The settings of a `host' block.")

(defconst rb42-types '("string" "int" "bool" "duration" "list")
  "The types of a parameter.")

(defconst rb42-rhai-keywords
  '("let" "const" "fn" "private" "if" "else" "switch" "while" "loop" "for"
    "in" "do" "until" "break" "continue" "return" "throw" "try" "catch"
    "import" "export" "as" "global")
  "The keywords of rhai, the language of bodies.")

(defconst rb42-primitives
  '("sh" "quote" "env" "now" "timestamp" "trimmed" "parse_time" "format_time"
    "parse_duration" "format_duration" "log" "log_table" "warn" "assert" "fail"
    "sleep" "wait_until" "confirm" "choose" "publish" "dry_run" "read_file"
    "write_file" "exists" "template" "template_str" "run" "host" "target"
    "upload" "download" "remote_write" "remote_read" "remote_exists"
    "listening_ports" "disk_free" "cpu_count" "memory" "sha256" "file_size" "dotenv_read"
    "dotenv_set" "docker" "query" "query_one" "scalar" "execute" "transaction"
    "wait_ready" "pg_env" "sqlite_backup" "sqlite_restore" "http_get" "http_head" "http_post" "http_put"
    "http_patch" "http_delete" "http_wait" "ws_check" "expect_status"
    "json_path" "body_contains" "first_answering" "to_json")
  "The primitives a body may call.")

(defconst rb42--id "[A-Za-z_][A-Za-z0-9_-]*"
  "A step, procedure, host or group id.")

(defvar rb42-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; `//' line comments and `/* */' block comments.
    (modify-syntax-entry ?/ ". 124b" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?\n "> b" table)
    ;; Strings of both languages; rhai's `interpolated' strings and
    ;; 'c'haracters.
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?` "\"" table)
    (modify-syntax-entry ?' "\"" table)
    (modify-syntax-entry ?\\ "\\" table)
    (modify-syntax-entry ?_ "_" table)
    (dolist (c '(?+ ?- ?= ?< ?> ?& ?| ?! ?% ?: ?# ?. ?, ?\;))
      (modify-syntax-entry c "." table))
    table)
  "Syntax table of `rb42-mode'.")

;;; Where a position is: the runbook language, or rhai in a body.

(defun rb42--block-brace-p (brace)
  "Whether the `{' at BRACE opens a runbook, procedure or host block.
That is the first brace, outside strings, of a header's line
\(`procedure p { step s {' opens a block, then a body).  Every other
brace opens a rhai body, or a block inside one."
  (save-excursion
    (save-match-data
      (goto-char brace)
      (beginning-of-line)
      (and (looking-at
            (concat "[ \t]*\\(?:runbook[ \t]+\"\\|procedure[ \t]+" rb42--id
                    "\\|host[ \t]+" rb42--id "\\)"))
           (let ((first nil))
             (goto-char (match-end 0))
             (while (and (not first) (search-forward "{" (1+ brace) t))
               (unless (nth 8 (save-excursion (syntax-ppss (1- (point)))))
                 (setq first (1- (point)))))
             (eq first brace))))))

(defun rb42--in-body-p (ppss)
  "Whether the place PPSS describes is rhai code inside a body."
  (let ((body nil))
    (dolist (open (nth 9 ppss) body)
      (when (and (eq (char-after open) ?{) (not (rb42--block-brace-p open)))
        (setq body t)))))

(defun rb42--matcher (regexp in-body)
  "A font-lock matcher for REGEXP outside strings and comments.
It matches in rhai bodies when IN-BODY is non-nil, else in the runbook
language."
  (lambda (limit)
    (let ((found nil))
      (while (and (not found) (re-search-forward regexp limit t))
        (let ((ppss (save-excursion (syntax-ppss (match-beginning 0)))))
          (when (and (not (nth 8 ppss))
                     (eq (and (rb42--in-body-p ppss) t) (and in-body t)))
            (setq found t))))
      found)))

(defun rb42--interpolation-matcher (limit)
  "A font-lock matcher for the `${' and `}' of an interpolation, to LIMIT."
  (let ((found nil))
    (while (and (not found)
                (re-search-forward "\\(\\${\\)[^`}]*\\(}\\)" limit t))
      (let ((ppss (save-excursion (syntax-ppss (match-beginning 0)))))
        (when (eq (nth 3 ppss) ?`)
          (setq found t))))
    found))

(defvar rb42-font-lock-keywords
  `(;; The runbook language.
    (,(rb42--matcher (concat "\\_<\\(?:step\\|procedure\\|group\\)[ \t]+\\("
                             rb42--id "\\)")
                     nil)
     1 font-lock-function-name-face)
    (,(rb42--matcher (concat "\\_<on[ \t]+\\(" rb42--id "\\)") nil)
     1 font-lock-variable-name-face)
    (,(rb42--matcher (concat "\\_<host[ \t]+\\(" rb42--id "\\)") nil)
     1 font-lock-variable-name-face)
    (,(rb42--matcher (regexp-opt rb42-keywords 'symbols) nil)
     . font-lock-keyword-face)
    (,(rb42--matcher (concat ":[ \t]*" (regexp-opt rb42-types 'symbols)) nil)
     1 font-lock-type-face)
    (,(rb42--matcher (regexp-opt rb42-host-settings 'symbols) nil)
     . font-lock-builtin-face)
    (,(rb42--matcher "\\_<\\(?:[0-9]+\\(?:ms\\|s\\|m\\|h\\|d\\)\\)+\\_>" nil)
     . font-lock-constant-face)
    (,(rb42--matcher "\\_<[0-9]+%" nil) . font-lock-constant-face)
    (,(rb42--matcher
       "\\_<\\(?:true\\|false\\|[0-9]+\\(?:\\.[0-9]+\\)?\\)\\_>" nil)
     . font-lock-constant-face)
    ;; rhai, inside bodies.
    (,(rb42--matcher "\\_<fn[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)" t)
     1 font-lock-function-name-face)
    (,(rb42--matcher (regexp-opt rb42-rhai-keywords 'symbols) t)
     . font-lock-keyword-face)
    (,(rb42--matcher (concat (regexp-opt rb42-primitives 'symbols) "[ \t]*(")
                     t)
     1 font-lock-builtin-face)
    (,(rb42--matcher "\\_<\\([A-Za-z_][A-Za-z0-9_]*\\)::" t)
     1 font-lock-type-face)
    (,(rb42--matcher (concat "\\_<\\(?:true\\|false\\|0[xob][0-9A-Fa-f_]+"
                             "\\|[0-9][0-9_]*\\(?:\\.[0-9_]+\\)?\\)\\_>")
                     t)
     . font-lock-constant-face)
    (rb42--interpolation-matcher
     (1 font-lock-preprocessor-face t)
     (2 font-lock-preprocessor-face t)))
  "What `rb42-mode' highlights.")

;;; Indentation, as `runbook fmt' lays files out.

(defun rb42--indentation-of-line-at (pos)
  "The indentation of the line holding POS."
  (save-excursion
    (goto-char pos)
    (current-indentation)))

(defun rb42-indent-line ()
  "Indent the current line: one level per open bracket; closers back out.
Lines inside a multi-line string or comment are left as they are."
  (interactive)
  (let* ((ppss (save-excursion (syntax-ppss (line-beginning-position))))
         (open (nth 1 ppss))
         (offset (- (current-column) (current-indentation))))
    (unless (nth 8 ppss)
      (let ((column
             (cond
              ((null open) 0)
              ((save-excursion (back-to-indentation) (looking-at-p "[]})]"))
               (rb42--indentation-of-line-at open))
              (t (+ (rb42--indentation-of-line-at open) rb42-indent-offset)))))
        (indent-line-to column)
        (when (> offset 0)
          (move-to-column (+ column offset)))))))

;;; Commands.

(defun rb42--file ()
  "The file of the buffer, saved; an error when it has none."
  (unless buffer-file-name
    (user-error "This buffer visits no file"))
  (when (buffer-modified-p)
    (save-buffer))
  buffer-file-name)

(defun rb42--compile (subcommand)
  "Run `runbook SUBCOMMAND FILE' in a compilation buffer, without colours.
Return that buffer."
  (let ((compilation-environment (cons "NO_COLOR=1" compilation-environment)))
    (compile (concat rb42-runbook-command " " subcommand " "
                     (shell-quote-argument (rb42--file))))))

(defun rb42-check ()
  "Run `runbook check' on the file; its diagnostics lead to their places."
  (interactive)
  (rb42--compile "check"))

(defun rb42-plan ()
  "Show `runbook plan' of the file: what a run would do, without doing it."
  (interactive)
  (rb42--compile "plan"))

(defun rb42-format-buffer ()
  "Lay the buffer out with `runbook fmt'.
On a parse error the buffer is left as it is and the message says why."
  (interactive)
  (let ((output (generate-new-buffer " *runbook fmt*"))
        (point (point)))
    (unwind-protect
        (if (zerop (call-process-region (point-min) (point-max)
                                        rb42-runbook-command nil
                                        (list output nil) nil "fmt" "-"))
            (progn
              (replace-buffer-contents output)
              (goto-char (min point (point-max))))
          (message "runbook fmt: %s"
                   (with-current-buffer output (string-trim (buffer-string)))))
      (kill-buffer output))))

;; `runbook check' points at each problem as ` --> FILE:LINE:COLUMN'.
(add-to-list 'compilation-error-regexp-alist-alist
             '(rb42 "^ *--> \\(.+?\\):\\([0-9]+\\):\\([0-9]+\\)$" 1 2 3))
(add-to-list 'compilation-error-regexp-alist 'rb42)

(with-eval-after-load 'eglot
  (when (boundp 'eglot-server-programs)
    (add-to-list 'eglot-server-programs '(rb42-mode "runbook" "lsp"))))

(defvar rb42-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'rb42-check)
    (define-key map (kbd "C-c C-f") #'rb42-format-buffer)
    (define-key map (kbd "C-c C-p") #'rb42-plan)
    map)
  "Keys of `rb42-mode'.")

;;;###autoload
(define-derived-mode rb42-mode prog-mode "Runbook"
  "Major mode for runbook files (.rb42).

\\{rb42-mode-map}"
  :syntax-table rb42-mode-syntax-table
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "\\(?://+\\|/\\*+\\)\\s *")
  (setq-local indent-line-function #'rb42-indent-line)
  (setq-local indent-tabs-mode nil)
  (setq-local font-lock-defaults '(rb42-font-lock-keywords))
  (setq-local font-lock-multiline t)
  (setq-local imenu-generic-expression
              `(("Procedures"
                 ,(concat "^[ \t]*procedure[ \t]+\\(" rb42--id "\\)") 1)
                ("Steps" ,(concat "^[ \t]*step[ \t]+\\(" rb42--id "\\)") 1))))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.rb42\\'" . rb42-mode))

(provide 'rb42-mode)

;;; rb42-mode.el ends here
