//! The command line `oob-send` and `oob-recv` share: `[IP PORT]`, and the
//! options that pick a scenario, a strategy, a family and a time limit.
//! Each program adds one switch of its own (`--paced`, `--wait-eof`) and
//! decides which combinations make sense.

use std::time::Duration;

use sockref::cli::{parse_seconds, utf8};
use sockref::peer::Family;
use sockref::{Error, lexopt};

use crate::{Scenario, Strategy};

/// What was given on the command line.
#[derive(Debug, Default)]
pub struct Options {
    pub positional: Vec<String>,
    pub scenario: Option<Scenario>,
    pub strategy: Option<Strategy>,
    pub family: Option<Family>,
    pub timeout: Option<Duration>,
    /// The program's own switch (`--paced` or `--wait-eof`) was given.
    pub switch: bool,
}

impl Options {
    /// Parses the process's arguments; `switch` names the one flag without
    /// a value this program accepts, such as `"paced"`.
    pub fn from_env(switch: &str) -> Result<Options, Error> {
        Options::parse(lexopt::Parser::from_env(), switch)
    }

    /// Parses the arguments after the program name.
    pub fn from_args(args: &[&str], switch: &str) -> Result<Options, Error> {
        Options::parse(lexopt::Parser::from_args(args), switch)
    }

    fn parse(mut parser: lexopt::Parser, switch: &str) -> Result<Options, Error> {
        let mut o = Options::default();
        while let Some(arg) = parser.next()? {
            match arg {
                lexopt::Arg::Long("scenario") => {
                    o.scenario = Some(Scenario::parse(&utf8(parser.value()?)?)?)
                }
                lexopt::Arg::Long("strategy") => {
                    o.strategy = Some(Strategy::parse(&utf8(parser.value()?)?)?)
                }
                lexopt::Arg::Long("family") => {
                    o.family = Some(Family::parse(&utf8(parser.value()?)?)?)
                }
                lexopt::Arg::Long("timeout") => {
                    o.timeout = Some(parse_seconds(&utf8(parser.value()?)?)?)
                }
                lexopt::Arg::Long(name) if name == switch => o.switch = true,
                lexopt::Arg::Value(v) => o.positional.push(utf8(v)?),
                other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_in_either_form_and_the_programs_own_switch() {
        let o = Options::from_args(
            &[
                "--scenario=paced",
                "--family",
                "unix",
                "127.0.0.1",
                "9",
                "--paced",
            ],
            "paced",
        )
        .unwrap();
        assert_eq!(o.scenario, Some(Scenario::Paced));
        assert_eq!(o.family, Some(Family::Unix));
        assert_eq!(o.positional, ["127.0.0.1", "9"]);
        assert!(o.switch);
        let e = Options::from_args(&["--paced"], "wait-eof").unwrap_err();
        assert_eq!(e.to_string(), "invalid option '--paced'");
        let e = Options::from_args(&["--scenario"], "paced").unwrap_err();
        assert_eq!(e.to_string(), "missing argument for option '--scenario'");
    }
}
