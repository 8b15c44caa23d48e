" runbook files (.rb42)
autocmd BufRead,BufNewFile *.rb42 setfiletype rb42
