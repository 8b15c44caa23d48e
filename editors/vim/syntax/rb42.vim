" Vim syntax file
" Language: runbook (.rb42), with rhai highlighted inside step, guard, when, rollback and
"           finally bodies
" The only braces that are not bodies are those of `runbook "name" {`, `procedure … {` and
" `host id … {`: their headers are matched first and name their block as the next group.

if exists('b:current_syntax')
  finish
endif

syn sync fromstart

" --- rhai, inside bodies -------------------------------------------------------------------
syn cluster rhaiCode contains=rhaiKeyword,rhaiBoolean,rhaiNumber,rhaiFunction,rhaiPrimitive,rhaiNamespace,rhaiString,rhaiChar,rhaiBacktick,rhaiComment,rhaiBlock
syn keyword rhaiKeyword contained let const fn private if else switch while loop for in do until
syn keyword rhaiKeyword contained break continue return throw try catch import export as global
syn keyword rhaiBoolean contained true false
syn match rhaiNumber contained "\<\d[0-9_]*\(\.\d[0-9_]*\)\=\([eE][+-]\=\d\+\)\=\>"
syn match rhaiNumber contained "\<0[xob][0-9A-Fa-f_]\+\>"
syn match rhaiFunction contained "\<\h\w*\ze\s*("
syn match rhaiPrimitive contained "\<\(sh\|run\|upload\|download\|remote_write\|remote_read\|remote_exists\|listening_ports\|disk_free\|cpu_count\|memory\|sha256\|file_size\|dotenv_read\|dotenv_set\|trimmed\|parse_time\|format_time\|parse_duration\|format_duration\|host\|target\|log\|log_table\|warn\|fail\|publish\|write_file\|read_file\|exists\|template\|template_str\|now\|timestamp\|quote\|env\|sleep\|assert\|confirm\|choose\|http\|http_get\|http_post\|http_wait\|expect_status\|body_contains\|ws_check\|query\|scalar\|execute\|wait_ready\|pg_env\|sqlite_backup\|sqlite_restore\|docker\|containers\|images\|inspect\|logs\|pull\|start\|stop\|restart\|kill\|remove\|remove_image\|stats\|info\|version\|exec\|wait_running\|wait_until\|first_answering\)\ze\s*("
syn match rhaiNamespace contained "\<\h\w*\ze::"
syn region rhaiString contained start=+"+ skip=+\\.+ end=+"+ contains=rhaiEscape
syn match rhaiEscape contained +\\\(x\x\x\|u\x\{4}\|U\x\{8}\|.\)+
syn match rhaiChar contained +'\(\\.\|[^'\\]\)'+
syn region rhaiBacktick contained start=+`+ skip=+\\.+ end=+`+ contains=rhaiInterpolation
syn region rhaiInterpolation contained matchgroup=rhaiInterpolationDelimiter start=+\${+ end=+}+ contains=@rhaiCode
syn match rhaiComment contained "//.*$"
syn region rhaiComment contained start="/\*" end="\*/"
syn region rhaiBlock contained transparent start="{" end="}" contains=@rhaiCode

" --- the runbook language --------------------------------------------------------------
syn cluster rb42Items contains=rb42Comment,rb42String,rb42Keyword,rb42Clause,rb42Type,rb42Number,rb42Duration,rb42Percent,rb42Boolean,rb42Id,rb42ProcedureHeader,rb42HostHeader,rb42Body
syn match rb42Keyword "\<\(runbook\|description\|owner\|contact\|tags\|param\|secret\|use\|guard\|procedure\|default\|step\|retry\|every\|backoff\|timeout\|when\|confirm\|rollback\|always\|none\|if\|finally\|host\|group\|inventory\|on\|forks\|tolerate\|journal\|let\)\>"
syn match rb42Clause "\<\(from\|as\|one\|of\|env\|help\|file\|prompt\|command\|optional\|all\)\>"
syn match rb42Type "\(:\s*\)\@<=\<\(string\|int\|bool\|duration\|list\)\>"
syn match rb42Number "-\=\<\d\+\(\.\d\+\)\=\>"
syn match rb42Duration "\<\(\d\+\(ms\|s\|m\|h\|d\)\)\+\>"
syn match rb42Percent "\<\d\+%"
syn match rb42Boolean "\<\(true\|false\)\>"
" A step or procedure id may be a keyword: `step rollback { … }`.
syn match rb42Id "\(\<\(step\|procedure\|on\)\s\+\)\@<=\h[A-Za-z0-9_-]*"
syn region rb42String start=+"+ skip=+\\.+ end=+"+ contains=rb42Escape
syn match rb42Escape contained +\\\(["\\ntr0]\|u{\x\+}\)+
syn match rb42Comment "//.*$"
syn region rb42Comment start="/\*" end="\*/"

" Every other brace opens a rhai body.
syn region rb42Body matchgroup=rb42BodyBrace start="{" end="}" contains=@rhaiCode

syn match rb42RunbookHeader +\<runbook\>\s*"\(\\.\|[^"\\]\)*"+ contains=rb42Keyword,rb42String nextgroup=rb42Block skipwhite skipnl skipempty
syn match rb42ProcedureHeader +\<procedure\>\s\+\h[A-Za-z0-9_-]*\(\s*"\(\\.\|[^"\\]\)*"\)\=\(\s\+\(default\|on\s\+\h[A-Za-z0-9_-]*\|forks\s\+\d\+\|tolerate\s\+\(\d\+%\|all\)\)\)*+ contains=rb42Keyword,rb42String,rb42Id,rb42Number,rb42Percent,rb42Clause nextgroup=rb42Block skipwhite skipnl skipempty
syn match rb42HostHeader +\<host\>\s\+\h[A-Za-z0-9_-]*\(\s\+\("\(\\.\|[^"\\]\)*"\|[^ \t{]\+\)\)\=+ contains=rb42Keyword,rb42String,rb42Number nextgroup=rb42HostBlock skipwhite
syn region rb42Block contained matchgroup=rb42Brace start="{" end="}" contains=@rb42Items
syn region rb42HostBlock contained matchgroup=rb42Brace start="{" end="}" contains=rb42HostSetting,rb42String,rb42Number,rb42Comment
syn match rb42HostSetting contained "\<\(address\|user\|port\|identity\|jump\|option\)\>"

hi def link rb42Keyword Keyword
hi def link rb42Clause Keyword
hi def link rb42Type Type
hi def link rb42Number Number
hi def link rb42Duration Number
hi def link rb42Percent Number
hi def link rb42Boolean Boolean
hi def link rb42Id Function
hi def link rb42String String
hi def link rb42Escape SpecialChar
hi def link rb42Comment Comment
hi def link rb42Brace Delimiter
hi def link rb42BodyBrace Delimiter
hi def link rb42HostSetting Keyword
hi def link rhaiKeyword Keyword
hi def link rhaiBoolean Boolean
hi def link rhaiNumber Number
hi def link rhaiFunction Function
hi def link rhaiPrimitive Special
hi def link rhaiNamespace Identifier
hi def link rhaiString String
hi def link rhaiEscape SpecialChar
hi def link rhaiChar Character
hi def link rhaiBacktick String
hi def link rhaiInterpolationDelimiter Delimiter
hi def link rhaiComment Comment

let b:current_syntax = 'rb42'
