// gaemi money formatter for the dashboard: the rule of gaemi.units (Python), line by line,
// so the dashboard writes ₩22.15조 and $24.97B exactly as the terminal, the report and the
// API texts do. tests/present/test_units_js.py runs these functions in headless Chromium on
// a table of values and compares every string with gaemi.units.
//
// Python's f"{x:.2f}" and round(x, 2) round the exact binary value half to even; JS's
// toFixed rounds ties up (0.125.toFixed(2) is "0.13", Python "0.12"). fixed() below rounds
// as Python does, from the exact decimal expansion of the double.
"use strict";

(() => {
  // Won units, largest first: 1조 = 10^12 won, 1억 = 10^8 won, 1만 = 10^4 won.
  // Dollar units, largest first: [size, suffix, decimals] (gaemi.units.USD_UNITS).
  const USD_UNITS = [
    [1e12, "T", 2],
    [1e9, "B", 2],
    [1e6, "M", 1],
    [1e3, "k", 1],
  ];

  function finite(v) {
    return typeof v === "number" && Number.isFinite(v);
  }

  // x >= 0 with d decimals, rounded half to even on the exact binary value (Python's
  // format(x, f".{d}f")); grouped by thousands with commas when `group` (Python's ",").
  function fixed(x, d, group = false) {
    let intPart;
    let fracPart;
    if (x >= 2 ** 53) {
      intPart = BigInt(x).toString(); // an integer: exact
      fracPart = "0".repeat(d);
    } else {
      // at most 53 significant bits: 100 decimals hold the exact value of any double
      // from 2^-47 up, and a tie at d <= 4 decimals needs x >= 0.5e-4
      const exact = x.toFixed(100);
      const [i, f] = exact.split(".");
      const keep = f.slice(0, d);
      const rest = f.slice(d);
      let n = BigInt(i + keep);
      const half = rest[0] === "5" && /^0*$/.test(rest.slice(1));
      if (rest[0] > "5" || (rest[0] === "5" && !half) || (half && n % 2n === 1n)) n += 1n;
      const digits = n.toString().padStart(d + 1, "0");
      intPart = digits.slice(0, digits.length - d);
      fracPart = digits.slice(digits.length - d);
    }
    if (group) intPart = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return d > 0 ? `${intPart}.${fracPart}` : intPart;
  }

  // Python's round(x, d) (round(x) for d = 0): the double nearest the rounded decimal.
  function pyRound(x, d = 0) {
    return x < 0 ? -Number(fixed(-x, d)) : Number(fixed(x, d));
  }

  // The sign before the body unless it rounded to zero (never "-$0", "+₩0").
  function signed(sign, body) {
    return sign && /[1-9]/.test(body) ? `${sign}${body}` : body;
  }

  function signOf(v, withPlus) {
    return v < 0 ? "-" : withPlus && v > 0 ? "+" : "";
  }

  function krwDecimals(n) {
    return n < 10 ? 2 : n < 100 ? 1 : 0;
  }

  // gaemi.units.format_krw: ₩22.15조, -₩1,514억, ₩1.40억, ₩3,500만, ₩150,000.
  function formatKrw(value, withPlus = false) {
    if (!finite(value)) return "—";
    const sign = signOf(value, withPlus);
    const a = Math.abs(value);
    if (a >= 1e12 || pyRound(a / 1e8) >= 10000) return signed(sign, `₩${fixed(a / 1e12, 2, true)}조`);
    if (a >= 1e8 || pyRound(a / 1e4) >= 10000) {
      const n = a / 1e8;
      let d = krwDecimals(n);
      if (pyRound(n, d) >= 10 ** (3 - d) && d > 0) d -= 1;
      return signed(sign, `₩${fixed(n, d, true)}억`);
    }
    if (a >= 1e6 || pyRound(a) >= 1000000) return signed(sign, `₩${fixed(a / 1e4, 0, true)}만`);
    return signed(sign, `₩${fixed(a, 0, true)}`);
  }

  // gaemi.units.format_usd: $1.25T, $13.50B, -$2.70B, $540.0M, $12.3k, $950.
  function formatUsd(value, withPlus = false) {
    if (!finite(value)) return "—";
    const sign = signOf(value, withPlus);
    const a = Math.abs(value);
    for (let i = 0; i < USD_UNITS.length; i += 1) {
      const [size, suffix, decimals] = USD_UNITS[i];
      const n = pyRound(a / size, decimals);
      if (n >= 1000 && i > 0) {
        const [upSize, upSuffix, upDecimals] = USD_UNITS[i - 1];
        return signed(sign, `$${fixed(a / upSize, upDecimals)}${upSuffix}`);
      }
      if (a >= size) return signed(sign, `$${fixed(a / size, decimals, true)}${suffix}`);
    }
    if (pyRound(a) >= 1000) return signed(sign, `$${fixed(a / 1e3, 1)}k`);
    return signed(sign, `$${fixed(a, 0, true)}`);
  }

  // gaemi.units.format_money: by currency code, KRW or USD.
  function formatMoney(value, currency, withPlus = false) {
    const cur = String(currency).toUpperCase();
    if (cur === "KRW") return formatKrw(value, withPlus);
    if (cur === "USD") return formatUsd(value, withPlus);
    throw new Error(`currency = ${currency} must be KRW or USD`);
  }

  // gaemi.units.format_number: -1,184,000, 12.35, 0.1235; below 10^-4 four significant
  // digits (3.2e-07); "—" for NaN, ∞ / -∞.
  function formatNumber(value) {
    if (typeof value !== "number" || Number.isNaN(value)) return "—";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
    const a = Math.abs(value);
    const sign = value < 0 ? "-" : "";
    if (a === 0) return "0";
    if (a >= 1e4) return sign + fixed(a, 0, true);
    if (a < 1e-4) {
      // Python's f"{v:.4g}": trailing zeros dropped, a two-digit exponent
      const [m, e] = a.toExponential(3).split("e");
      const exp = Number(e);
      const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
      return `${sign}${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
    }
    const decimals = Math.max(0, 3 - Math.floor(Math.log10(a)));
    return sign + fixed(a, decimals, true);
  }

  // gaemi.units.format_cell: a value of a machine column by the unit of its header
  // (gaemi.units.column_header, sent by /api/meta): money, a move (signed, 2 decimals, no
  // sign on zero), another percent (1 decimal), % a year, a multiple, a count, yes/no.
  // JSON has no integer type: a whole number is a count here (Python: an int is).
  const MOVE_DECIMALS = 2;
  const RATE_DECIMALS = 2;
  const SHARE_DECIMALS = 1;
  const TIMES_DECIMALS = 2;
  const BP_DECIMALS = 2;
  const MOVE_WORDS = new Set([
    "move", "moves", "shock", "shocks", "change", "return", "premium", "net", "error",
  ]);

  function unitOf(header) {
    const m = /\(([^()]*)\)$/.exec(String(header || ""));
    const unit = m ? m[1] : "";
    return unit.startsWith("% of ") ? "%" : unit; // a share of something: (% of AUM)
  }

  // A percent with d decimals, the minus only when negative and not rounded to zero
  // (never "-0.0%"): gaemi.units' share and rate cells
  function percent(v, d) {
    return signed(signOf(v, false), `${fixed(Math.abs(v) * 100, d)}%`);
  }

  // gaemi.units.format_frac: a move, signed, two decimals, no sign when it rounds to zero
  // (-5.00%, +3.10%, 0.00%); "—" for a missing value. The dashboard's sentences write a
  // move with it, as the tables do.
  function formatFrac(value) {
    if (!finite(value)) return "—";
    return signed(signOf(value, true), `${fixed(Math.abs(value) * 100, MOVE_DECIMALS)}%`);
  }

  // gaemi.units.format_change: a change in its unit, signed as a move: "frac" as
  // formatFrac, "pp" (a rate's change in percentage points) in basis points (-1.43 bp).
  function formatChange(value, unit = "frac") {
    if (!finite(value)) return "—";
    if (unit === "frac") return formatFrac(value);
    if (unit === "pp") {
      return signed(signOf(value, true), `${fixed(Math.abs(value) * 100, BP_DECIMALS)} bp`);
    }
    return `${signed(signOf(value, true), formatNumber(Math.abs(value)))} ${unit}`.trim();
  }

  function formatCell(key, value, header) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "string") return value;
    if (!finite(value)) return formatNumber(value);
    const words = String(key).toLowerCase().split("_");
    const unit = unitOf(header);
    if (unit === "$") return formatUsd(value);
    if (unit === "₩") return formatKrw(value);
    if (unit === "%") {
      if (words.some((w) => MOVE_WORDS.has(w))) return formatFrac(value);
      return percent(value, SHARE_DECIMALS);
    }
    if (unit === "% a year") {
      const vol = words.includes("vol") || words[0].startsWith("vol");
      return percent(value, vol ? SHARE_DECIMALS : RATE_DECIMALS);
    }
    if (unit === "×") {
      if (words.join("_") === "leverage") {
        // as a fund names it: +3×, -2×, +1.5×
        const text = fixed(Math.abs(value), TIMES_DECIMALS).replace(/0+$/, "").replace(/\.$/, "");
        return `${value < 0 && text !== "0" ? "-" : "+"}${text}×`;
      }
      return signed(signOf(value, false), `${fixed(Math.abs(value), TIMES_DECIMALS, true)}×`);
    }
    if (Number.isInteger(value)) {
      return `${value < 0 ? "-" : ""}${fixed(Math.abs(value), 0, true)}`;
    }
    return formatNumber(value);
  }

  window.gaemiUnits = {
    formatKrw, formatUsd, formatMoney, formatNumber, formatCell, formatFrac, formatChange,
  };
})();
