//! The process's standard output and standard error, written without panicking. `println!` and
//! `eprintln!` panic when the reader went away (`runbook show RUN | head`); here a closed pipe
//! ends the text quietly: what comes after it is dropped, and the command ends with its own
//! exit code. A run goes on to its end (its rollbacks included) when nobody reads its output.

use std::io::{ErrorKind, Write};

/// Writes `text` to standard output and flushes it. A reader that went away is no error; any
/// other failure (a full disk behind `>`) is returned.
pub fn out(text: &str) -> std::io::Result<()> {
    write_all(&mut std::io::stdout().lock(), text)
}

/// Writes `text` to standard error and flushes it; a failure there has nowhere to be told.
pub fn err(text: &str) {
    let _ = write_all(&mut std::io::stderr().lock(), text);
}

fn write_all(stream: &mut impl Write, text: &str) -> std::io::Result<()> {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

/// `println!` that cannot panic: a line on standard output, a closed pipe ignored.
macro_rules! outln {
    () => {{
        let _ = $crate::output::console::out("\n");
    }};
    ($($arg:tt)*) => {{
        let _ = $crate::output::console::out(&format!("{}\n", format_args!($($arg)*)));
    }};
}

/// `eprintln!` that cannot panic: a line on standard error.
macro_rules! errln {
    () => {
        $crate::output::console::err("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::console::err(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests {
    use super::write_all;
    use std::io::{Error, ErrorKind, Write};

    /// A stream whose reader is gone, or whose disk is full.
    struct Refusing(ErrorKind);

    impl Write for Refusing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_no_error_and_a_full_disk_is() {
        assert!(write_all(&mut Refusing(ErrorKind::BrokenPipe), "x").is_ok());
        let full = write_all(&mut Refusing(ErrorKind::StorageFull), "x");
        assert_eq!(full.map_err(|e| e.kind()), Err(ErrorKind::StorageFull));
    }
}
