//! YQL's `Math::` module: libm-style functions on Double, `Round` to a power of ten, and the integer
//! `Mod` / `Rem`. Pure functions on `f64` / `i128` with YDB's names and argument counts; binding and
//! types live in `exec/functions.rs`.

/// A `Math::` function over Doubles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathFn {
    Pi,
    E,
    Eps,
    Abs,
    Acos,
    Asin,
    Asinh,
    Atan,
    Cbrt,
    Ceil,
    Cos,
    Cosh,
    Exp,
    Exp2,
    Floor,
    Rint,
    Sigmoid,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Trunc,
    Log,
    Log2,
    Log10,
    Atan2,
    Fmod,
    Hypot,
    Pow,
    Remainder,
    /// `Round(x, [power of ten])`.
    Round,
    IsInf,
    IsNaN,
    IsFinite,
}

/// The function a lowercased name (without `math::`) names, with its number of Double arguments
/// (`Round` takes 1 or 2) and whether it answers a Bool.
pub fn lookup(name: &str) -> Option<(MathFn, usize, bool)> {
    use MathFn::*;
    Some(match name {
        "pi" => (Pi, 0, false),
        "e" => (E, 0, false),
        "eps" => (Eps, 0, false),
        "abs" | "fabs" => (Abs, 1, false),
        "acos" => (Acos, 1, false),
        "asin" => (Asin, 1, false),
        "asinh" => (Asinh, 1, false),
        "atan" => (Atan, 1, false),
        "cbrt" => (Cbrt, 1, false),
        "ceil" => (Ceil, 1, false),
        "cos" => (Cos, 1, false),
        "cosh" => (Cosh, 1, false),
        "exp" => (Exp, 1, false),
        "exp2" => (Exp2, 1, false),
        "floor" => (Floor, 1, false),
        "rint" => (Rint, 1, false),
        "sigmoid" => (Sigmoid, 1, false),
        "sin" => (Sin, 1, false),
        "sinh" => (Sinh, 1, false),
        "sqrt" => (Sqrt, 1, false),
        "tan" => (Tan, 1, false),
        "tanh" => (Tanh, 1, false),
        "trunc" => (Trunc, 1, false),
        "log" => (Log, 1, false),
        "log2" => (Log2, 1, false),
        "log10" => (Log10, 1, false),
        "atan2" => (Atan2, 2, false),
        "fmod" => (Fmod, 2, false),
        "hypot" => (Hypot, 2, false),
        "pow" => (Pow, 2, false),
        "remainder" => (Remainder, 2, false),
        "round" => (Round, 1, false),
        "isinf" => (IsInf, 1, true),
        "isnan" => (IsNaN, 1, true),
        "isfinite" => (IsFinite, 1, true),
        _ => return None,
    })
}

/// Applies a Double-valued function; missing arguments are 0 (`Round`'s power of ten).
pub fn apply(f: MathFn, args: &[f64]) -> f64 {
    let x = args.first().copied().unwrap_or_default();
    let y = args.get(1).copied().unwrap_or_default();
    match f {
        MathFn::Pi => std::f64::consts::PI,
        MathFn::E => std::f64::consts::E,
        MathFn::Eps => f64::EPSILON,
        MathFn::Abs => x.abs(),
        MathFn::Acos => x.acos(),
        MathFn::Asin => x.asin(),
        MathFn::Asinh => x.asinh(),
        MathFn::Atan => x.atan(),
        MathFn::Cbrt => x.cbrt(),
        MathFn::Ceil => x.ceil(),
        MathFn::Cos => x.cos(),
        MathFn::Cosh => x.cosh(),
        MathFn::Exp => x.exp(),
        MathFn::Exp2 => x.exp2(),
        MathFn::Floor => x.floor(),
        MathFn::Rint => x.round_ties_even(),
        MathFn::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        MathFn::Sin => x.sin(),
        MathFn::Sinh => x.sinh(),
        MathFn::Sqrt => x.sqrt(),
        MathFn::Tan => x.tan(),
        MathFn::Tanh => x.tanh(),
        MathFn::Trunc => x.trunc(),
        MathFn::Log => x.ln(),
        MathFn::Log2 => x.log2(),
        MathFn::Log10 => x.log10(),
        MathFn::Atan2 => x.atan2(y),
        MathFn::Fmod => x % y,
        MathFn::Hypot => x.hypot(y),
        MathFn::Pow => x.powf(y),
        // IEEE remainder: x - n*y with n the nearest integer to x/y, ties to even.
        MathFn::Remainder => x - (x / y).round_ties_even() * y,
        MathFn::Round => round_to(x, y),
        MathFn::IsInf => f64::from(u8::from(x.is_infinite())),
        MathFn::IsNaN => f64::from(u8::from(x.is_nan())),
        MathFn::IsFinite => f64::from(u8::from(x.is_finite())),
    }
}

/// Rounds to a multiple of 10^power (`Round(1.2345, -2)` is 1.23), halves away from zero.
fn round_to(x: f64, power: f64) -> f64 {
    let power = power.clamp(-300.0, 300.0) as i32;
    if power == 0 {
        return x.round();
    }
    let scale = 10f64.powi(power.abs());
    if power < 0 {
        (x * scale).round() / scale
    } else {
        (x / scale).round() * scale
    }
}

/// `Math::Mod` (sign of the divisor) and `Math::Rem` (sign of the dividend); `None` for a zero divisor.
pub fn modulo(a: i128, b: i128, rem: bool) -> Option<i128> {
    if b == 0 {
        return None;
    }
    let r = a % b;
    Some(if rem || r == 0 || (r < 0) == (b < 0) { r } else { r + b })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_answer_as_the_documentation_examples_do() {
        assert_eq!(apply(MathFn::Sqrt, &[256.0]), 16.0);
        assert_eq!(apply(MathFn::Trunc, &[1.2345]), 1.0);
        assert_eq!(apply(MathFn::Pow, &[2.0, 10.0]), 1024.0);
        assert!((apply(MathFn::Round, &[1.2345, -2.0]) - 1.23).abs() < 1e-12);
        assert_eq!(apply(MathFn::Round, &[1234.5, 2.0]), 1200.0);
        assert_eq!(apply(MathFn::Round, &[2.5]), 3.0);
        assert!((apply(MathFn::Remainder, &[2.1, 2.0]) - 0.1).abs() < 1e-12);
        assert!((apply(MathFn::Atan2, &[1.0, 0.0]) - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert_eq!(apply(MathFn::IsNaN, &[f64::NAN]), 1.0);
        assert_eq!(apply(MathFn::IsFinite, &[f64::INFINITY]), 0.0);
        assert_eq!(lookup("fuzzyequals"), None);
    }

    #[test]
    fn mod_keeps_the_divisors_sign_and_rem_the_dividends() {
        assert_eq!(modulo(-1, 7, false), Some(6));
        assert_eq!(modulo(-1, 7, true), Some(-1));
        assert_eq!(modulo(1, -7, false), Some(-6));
        assert_eq!(modulo(7, 7, false), Some(0));
        assert_eq!(modulo(1, 0, false), None);
    }
}
