//! Shared plumbing for the example binaries in `src/bin/`: the command line (broker URI and a
//! few `--name value` options), a bounded tokio runtime, and receiving with a deadline.
//!
//! Every example takes the broker URI as its first argument, falling back to the `WARREN_URI`
//! environment variable and then to [`DEFAULT_URI`]. Each one does a fixed amount of work,
//! checks the outcome, and exits 0 on success or 1 with a message on failure.

use std::future::Future;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use warren_core::client::Consumer;
use warren_core::Delivery;

/// Errors the examples report before exiting.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The broker used when neither an argument nor `WARREN_URI` names one.
pub const DEFAULT_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// How long a whole example may run before it gives up.
pub const EXAMPLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The parsed command line: `[URI] [--name value]...`.
#[derive(Debug, Clone)]
pub struct Args {
    /// The broker URI.
    pub uri: String,
    options: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args()`.
    pub fn from_env() -> Result<Args> {
        Self::parse(std::env::args().skip(1))
    }

    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args> {
        let mut uri = None;
        let mut options = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if let Some(name) = arg.strip_prefix("--") {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                options.push((name.to_string(), value));
            } else if uri.is_none() {
                uri = Some(arg);
            } else {
                return Err(format!("unexpected argument {arg:?}").into());
            }
        }
        let uri = uri
            .or_else(|| std::env::var("WARREN_URI").ok())
            .unwrap_or_else(|| DEFAULT_URI.to_string());
        Ok(Args { uri, options })
    }

    /// The value of `--name`, parsed, or `default` when it is absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v
                .parse()
                .map_err(|_| format!("--{name} {v:?} is not a valid value").into()),
            None => Ok(default),
        }
    }
}

/// Runs an example's async body on a tokio runtime, bounded by [`EXAMPLE_TIMEOUT`], and turns
/// the outcome into the process exit code (printing the error on failure).
pub fn run<F, Fut>(name: &str, body: F) -> ExitCode
where
    F: FnOnce(Args) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let outcome = Args::from_env().and_then(|args| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            match tokio::time::timeout(EXAMPLE_TIMEOUT, body(args)).await {
                Ok(r) => r,
                Err(_) => Err(format!("did not finish within {EXAMPLE_TIMEOUT:?}").into()),
            }
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The next delivery from `consumer`, failing if none arrives within `wait` or the consumer
/// ends.
pub async fn next_delivery(consumer: &mut Consumer, wait: Duration) -> Result<Delivery> {
    match tokio::time::timeout(wait, consumer.next_delivery()).await {
        Ok(Some(Ok(d))) => Ok(d),
        Ok(Some(Err(e))) => Err(format!("consumer {} failed: {e}", consumer.tag()).into()),
        Ok(None) => Err(format!("consumer {} ended early", consumer.tag()).into()),
        Err(_) => Err(format!(
            "consumer {}: nothing arrived within {wait:?}",
            consumer.tag()
        )
        .into()),
    }
}

/// A [`warren_core::codec::ShortString`] from text the example wrote itself.
pub fn short(s: &str) -> Result<warren_core::codec::ShortString> {
    Ok(warren_core::codec::ShortString::try_from(s)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args> {
        Args::parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn uri_and_options() {
        let a = args(&["amqp://h/%2f", "--workers", "5"]).unwrap();
        assert_eq!(a.uri, "amqp://h/%2f");
        assert_eq!(a.get("workers", 3usize).unwrap(), 5);
        assert_eq!(a.get("jobs", 30usize).unwrap(), 30);
        assert!(a.get::<usize>("workers", 0).is_ok());
        assert!(args(&["--workers"]).is_err());
        assert!(args(&["a", "b"]).is_err());
        assert!(args(&["--workers", "x"])
            .unwrap()
            .get::<usize>("workers", 1)
            .is_err());
    }
}
