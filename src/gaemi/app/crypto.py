"""A liquidation cascade in leveraged crypto perpetuals and the Korean holders' slice.

One set-up for every face: the calibrated config (or a given one), the population (drawn
or read from a positions file), the cascade to its fixed point
(:func:`gaemi.core.crypto.cascade`) and the loss of the Korean slice in KRW.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaemi.app.result import Choice, Result
from gaemi.errors import (
    GaemiInputError,
    check_above_minus_100,
    check_choice,
    check_known_name,
)
from gaemi.units import format_frac, format_percent, format_usd

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.crypto import CascadeResult, KoreanLoss, KoreanSlice, Population
    from gaemi.data.crypto import CryptoConfig, Positioning
    from gaemi.data.state import MarketState

#: Views of :meth:`CryptoCascadeResult.to_frame`.
VIEWS = ("assets", "rounds", "korea")
#: Columns of the engine's per-asset frame that are the same for every asset of one run.
RUN_COLUMNS = ("scenario", "rounds", "converged")
REFERENCE = (
    "docs/crypto.md: liquidation -> forced market order -> impact through each asset's "
    "depth curve, round by round to the fixed point (calibrated on 10-11 Oct 2025)"
)


def premium_signal(premium_frac: float, hot_frac: float) -> str:
    """How to read the kimchi premium: hot Korean demand, normal, or a discount."""
    if premium_frac >= hot_frac:
        hot = format_percent(hot_frac, decimals=0)
        return f"hot (>= {hot}: Korean demand running ahead of the world)"
    if premium_frac < 0:
        return "discount (Korean selling or capital leaving)"
    return "normal"


@functools.lru_cache(maxsize=1)
def default_setup() -> tuple[CryptoConfig, Population, int]:
    """The calibrated config and its default population (drawn once, seeded)."""
    from gaemi.data.crypto import load_crypto_config

    cfg = load_crypto_config(None)
    pop, dropped = cfg.population(seed=None)
    return cfg, pop, dropped


def korea_frame(names: tuple[str, ...], ks: KoreanSlice, loss: KoreanLoss) -> pd.DataFrame:
    """The Korean slice by holder: spot per asset, coin lending (exposure), total."""
    import pandas as pd

    rows: list[dict[str, object]] = []
    for i, a in enumerate(names):
        rows.append(
            {
                "holder": f"spot {a}",
                "holdings_krw": float(ks.holdings_krw[i]),
                "krw_move_frac": float(loss.krw_move_frac[0, i]),
                "pnl_krw": float(ks.holdings_krw[i] * loss.krw_move_frac[0, i]),
                "liquidated_share": float("nan"),
            }
        )
    rows.append(
        {
            "holder": "coin lending (exposure)",
            "holdings_krw": float((ks.lending_equity_krw * ks.lending_leverage).sum()),
            "krw_move_frac": float(loss.krw_move_frac[0] @ ks.lending_weights),
            "pnl_krw": float(loss.lending_pnl_krw[0]),
            "liquidated_share": float(loss.lending_liquidated_equity_share[0]),
        }
    )
    rows.append(
        {
            "holder": "total",
            "holdings_krw": float(ks.holdings_krw.sum()),  # lending exposure sits inside
            "krw_move_frac": float("nan"),
            "pnl_krw": float(loss.total_pnl_krw[0]),
            "liquidated_share": float("nan"),
        }
    )
    return pd.DataFrame(rows)


@dataclass(frozen=True, kw_only=True)
class CryptoCascadeResult(Result):
    """The cascade after the shocks and the Korean slice's loss at its fixed point.

    Attributes
    ----------
    config_name : str
        The crypto config (population, books, Korea parameters).
    population_positions : int
        Positions in the population.
    shocks_frac : dict
        The moves given, by asset (fractions).
    core : gaemi.core.crypto.CascadeResult
        The engine's result.
    korea : DataFrame
        The Korean slice by holder (holdings_krw, krw_move_frac, pnl_krw).
    usdkrw : float
        KRW per USD of the Korean slice.
    premium_frac, premium_after_frac : float, float or None
        Kimchi premium before and after the shock.
    signal : str
        How to read the premium.
    notes : tuple of str
        The population and FX lines for a human.
    """

    config_name: str
    population_positions: int
    shocks_frac: Mapping[str, float]
    core: CascadeResult
    korea: pd.DataFrame
    usdkrw: float
    premium_frac: float
    premium_after_frac: float | None
    signal: str
    notes: tuple[str, ...] = ()
    kind: str = field(default="crypto_cascade", init=False, repr=False)

    @property
    def total_liquidated_usd(self) -> float:
        return float(self.core.total_usd()[0])

    @property
    def long_share_frac(self) -> float | None:
        """Fraction of liquidations that are longs (None when nothing was liquidated)."""
        share = float(self.core.long_share()[0])
        return share if self.total_liquidated_usd > 0 and math.isfinite(share) else None

    @property
    def rounds(self) -> int:
        return int(self.core.rounds[0])

    @property
    def converged(self) -> bool:
        return bool(self.core.converged[0])

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``assets`` (default: shock, low and final move, liquidations and their count,
        forced flow),
        ``rounds`` (liquidations per round; round 0 is what the shock touches) or
        ``korea`` (the Korean slice in KRW)."""
        if view is not None:
            check_choice(view, VIEWS, "view")
        if view in (None, "assets"):
            df = self.core.to_frame(0)
            return df.drop(columns=[c for c in RUN_COLUMNS if c in df.columns]).reset_index(
                drop=True
            )
        if view == "rounds":
            return self.core.rounds_frame(0)
        return self.korea

    def summary(self) -> str:
        total = self.total_liquidated_usd
        from gaemi.units import format_krw

        share = self.long_share_frac
        pnl = float(self.korea["pnl_krw"].iloc[-1])
        return (
            f"{format_usd(total)} liquidated"
            + (f", {format_percent(share, decimals=0)} longs" if share is not None else "")
            + f", {self.rounds} rounds"
            + ("" if self.converged else " (no fixed point within the round limit)")
            + f"; the Korean slice's P&L {format_krw(pnl, signed=True)} at USD/KRW "
            f"{self.usdkrw:,.2f}"
        )

    def extra_dict(self) -> dict[str, Any]:
        from gaemi.app.result import records

        return {
            "config": self.config_name,
            "population_positions": self.population_positions,
            "shocks_frac": dict(self.shocks_frac),
            "total_liquidated_usd": self.total_liquidated_usd,
            "long_share_frac": self.long_share_frac,
            "rounds": self.rounds,
            "converged": self.converged,
            "usdkrw": float(self.usdkrw),
            "kimchi_premium_frac": self.premium_frac,
            "kimchi_premium_after_frac": self.premium_after_frac,
            "premium_signal": self.signal,
            "rounds_table": records(self.to_frame("rounds")),
            "korea": records(self.korea),
        }


def crypto_cascade(
    state: MarketState | None = None,
    shocks_frac: Mapping[str, float] | None = None,
    *,
    depth_scale: float = 1.0,
    population: str | Path | None = None,
    config: str | Path | None = None,
    rng: int | None = None,
    usdkrw: float | None = None,
    kimchi_premium_frac: float | None = None,
    kimchi_premium_after_frac: float | None = None,
    date: str | None = None,
    open_interest_usd: float | None = None,
    leveraged_frac_of_oi: float | None = None,
    long_share_frac: float | None = None,
    funding_rate_frac: float | None = None,
    data_dir: str | Path | None = None,
    field_name: str = "shocks_frac",
) -> CryptoCascadeResult:
    """Liquidation cascade of leveraged perpetuals after price shocks, to its fixed point.

    Each round: positions whose mark crosses their liquidation price are closed by market
    orders; the forced flow moves each asset through its depth curve; the new moves
    liquidate more. The Korean slice's KRW move per asset is
    (1 + final_move)·(1 + premium_after)/(1 + premium) − 1.

    Parameters
    ----------
    state : MarketState, optional
        Accepted for a uniform signature; the crypto config carries its own dated market
        (books, USD/KRW), so the state's levels are not mixed in.
    shocks_frac : mapping of str to float
        Moves by asset, fractions (``{"BTC": -0.10}``); assets not named follow BTC by beta.
    depth_scale : float
        Multiplies every order-book depth (> 0).
    population : path, optional
        Positions file (CSV/Parquet); default: the config's parametric population.
    config : path, optional
        Crypto config YAML; default the calibrated one.
    rng : int, optional
        Redraw the parametric population with this seed (default: the config's seed).
    usdkrw : float, optional
        KRW per USD for the Korean slice (default: the config's, dated).
    kimchi_premium_frac, kimchi_premium_after_frac : float, optional
        Premium before (default the config's) and after (default unchanged) the shock.
    date : str, optional
        ISO day: the market positioning known before it replaces the config's snapshot
        (:func:`positioning_known_before`, the rule of every face: the date's own — a
        FACTS.md (i) event starting that day, or the Coinalyze BTC-perp open interest and
        funding of the day before, 2022-01-03..2024-09-20, which needs ``data_dir`` — else
        the latest dated before it: a FACTS.md event or the config's own snapshot).
    open_interest_usd : float, optional
        All-coin open interest, USD ($0.1B-$5T); overrides the date's. Book depth scales
        with it (the config's assumption).
    leveraged_frac_of_oi, long_share_frac : float, optional
        Share of open interest held as liquidatable leveraged positions, and the long share
        of it (default: the config's, 0.16 and 0.69 from the Oct-2025 calibration). With
        ``date`` and ``data_dir`` (its candles and Coinalyze files) the leveraged share of a
        dated positioning defaults to the one that makes the population liquidate, at a
        realised BTC −10 %, what the measured liquidation law gives for that positioning
        (:func:`gaemi.data.crypto.law_leveraged_share`; :func:`crypto_setup`).
    funding_rate_frac : float, optional
        Funding per 8 h before the date (1e-4 = the 0.01 % baseline); reported with the
        positioning, not used by the cascade (on the measured Coinalyze days it does not
        change liquidations per move: docs/crypto.md section 3).
    data_dir : path, optional
        A folder laid out like ../shared/data (the Coinalyze files) for ``date``.
    field_name : str
        The shocks' name in error messages, in the words of every face
        (:mod:`gaemi.errors`): ``shocks_frac_by_asset.BTC = -1.0 must be above -100%``,
        ``shocks_frac_by_asset = 'DOGE': ASSET must be one of BTC, ETH, SOL, ALT``.

    References
    ----------
    docs/crypto.md (model and calibration on the 10–11 Oct 2025 liquidations).
    """
    from gaemi.app.decay import check_seed
    from gaemi.core.crypto import cascade, korean_slice_loss
    from gaemi.data.crypto import load_crypto_config, load_population

    if not shocks_frac:
        raise GaemiInputError("give at least one shock, e.g. BTC=-10%")
    if not (math.isfinite(depth_scale) and depth_scale > 0):
        raise GaemiInputError(f"depth-scale = {depth_scale!r} must be > 0")
    if rng is not None:
        check_seed(rng, "seed")  # the words of every face: "seed = -1 must be an integer >= 0"
        if not isinstance(rng, int):
            raise GaemiInputError(f"seed = {rng!r} must be an integer >= 0")
    if population is not None and rng is not None:
        raise GaemiInputError("--seed draws the parametric population; not with --population")
    if usdkrw is not None and not (math.isfinite(usdkrw) and usdkrw > 0):
        raise GaemiInputError(f"usdkrw = {usdkrw!r} must be > 0")
    for name, mv in shocks_frac.items():  # the words of every face (gaemi.errors)
        check_above_minus_100(mv, f"{field_name}.{name}")
    notes: list[str] = []
    warns: list[str] = []
    positioned = any(
        v is not None
        for v in (date, open_interest_usd, leveraged_frac_of_oi, long_share_frac, funding_rate_frac)
    )
    if positioned and population is not None:
        raise GaemiInputError(
            "a dated positioning (date, open interest, leveraged share, long share, funding) "
            "draws the parametric population; not with a population file"
        )
    if data_dir is not None and date is None:
        raise GaemiInputError("data_dir is read for the positioning of a date: give the date too")
    pos_choices: list[Choice] = []
    if config is None and population is None and rng is None and not positioned:
        cfg, pop, dropped = default_setup()
        _check_assets(shocks_frac, cfg.asset_names, field_name)
    else:
        cfg = load_crypto_config(None if config is None else Path(config))
        _check_assets(shocks_frac, cfg.asset_names, field_name)
        if positioned:
            setup = crypto_setup(
                cfg,
                date=date,
                open_interest_usd=open_interest_usd,
                leveraged_frac_of_oi=leveraged_frac_of_oi,
                long_share_frac=long_share_frac,
                funding_rate_frac=funding_rate_frac,
                data_dir=data_dir,
            )
            cfg = setup.config
            notes.extend(setup.notes)
            warns.extend(setup.warnings)
            pos_choices = list(setup.choices)
        if population is not None:
            pop = load_population(Path(population), cfg)
            dropped = 0
        else:
            pop, dropped = cfg.population(seed=rng)
    if population is not None:
        n_uw = int(pop.underwater().sum())
        notes.append(
            f"population: {len(pop):,} positions from {Path(population).name}"
            + (f"; {n_uw:,} already underwater (liquidated in round 0)" if n_uw else "")
        )
    else:
        notes.append(
            f"population: {len(pop):,} positions drawn from {cfg.src} ({cfg.name}, seed "
            f"{cfg.seed if rng is None else rng}; {dropped:,} drawn underwater and dropped)"
        )
    market = cfg.market(depth_scale=depth_scale)
    res = cascade(pop, market, dict(shocks_frac))
    if not res.converged[0]:
        warns.append("the cascade did not reach its fixed point within the round limit")
    kp = cfg.korea_params
    premium = (
        float(kp["kimchi_premium_frac"].value)
        if kimchi_premium_frac is None
        else float(kimchi_premium_frac)
    )
    ks = cfg.korean_slice(usdkrw=usdkrw, premium=premium)
    fx_src = (
        "given"
        if usdkrw is not None
        else f"{kp['usdkrw'].source}, as of {kp['usdkrw'].as_of or cfg.as_of}"
    )
    notes.append(f"USD/KRW {ks.usdkrw:,.2f} ({fx_src})")
    signal = premium_signal(premium, float(kp["premium_signal_hot_frac"].value))
    notes.append(
        f"kimchi premium {format_frac(premium)} before"
        + (
            f", {format_frac(kimchi_premium_after_frac)} after"
            if kimchi_premium_after_frac is not None
            else " (unchanged after)"
        )
        + f": signal {signal}"
    )
    loss = korean_slice_loss(ks, res.final_move_frac, premium_after_frac=kimchi_premium_after_frac)
    choices = list(pos_choices)
    if usdkrw is None:
        choices.append(Choice("usdkrw", float(ks.usdkrw), fx_src))
    if kimchi_premium_frac is None:
        choices.append(
            Choice("kimchi_premium_frac", premium, str(kp["kimchi_premium_frac"].source))
        )
    sources = [f"crypto config: {cfg.name} ({cfg.src})", REFERENCE]
    if state is not None:
        sources.append("market state not used: the config carries its own dated market")
    return CryptoCascadeResult(
        config_name=cfg.name,
        population_positions=len(pop),
        shocks_frac=dict(shocks_frac),
        core=res,
        korea=korea_frame(cfg.asset_names, ks, loss),
        usdkrw=float(ks.usdkrw),
        premium_frac=premium,
        premium_after_frac=kimchi_premium_after_frac,
        signal=signal,
        notes=tuple(notes),
        warnings=tuple(warns),
        choices=tuple(choices),
        sources=tuple(sources),
    )


@dataclass(frozen=True)
class KnownPositioning:
    """The positioning known before a day and which one it is.

    Attributes
    ----------
    positioning : gaemi.data.crypto.Positioning
        Its open interest (and funding) with their sources.
    what : str
        Which positioning, for a human ("Coinalyze BTC perpetuals, the day before", "the
        2021-05-19 liquidation event (FACTS.md §i), the latest dated before 2021-06-01").
    snapshot : bool
        True when it is the config's own (calibration) snapshot: the config is then used as
        it is, with its own leveraged share.
    """

    positioning: Positioning
    what: str
    snapshot: bool = False


def _check_assets(shocks_frac: Mapping[str, float], names: tuple[str, ...], where: str) -> None:
    """Every shocked asset is one of the market's (:func:`gaemi.errors.check_known_name`)."""
    for name in shocks_frac:
        check_known_name(name, names, where, "ASSET")


def _iso_day(day: str | dt.date) -> str:
    """``day`` as ``YYYY-MM-DD`` by the one date rule of the application layer
    (:func:`gaemi.app.state.parse_day`, its one-line error)."""
    from gaemi.app.state import parse_day

    return parse_day(day).isoformat()


def positioning_known_before(
    day: str | dt.date,
    data_dir: str | Path | None = None,
    *,
    cfg: CryptoConfig | None = None,
) -> KnownPositioning | None:
    """The crypto positioning known before ``day``: the one rule of every face.

    1. The day's own (:func:`gaemi.data.crypto.positioning_on_file`): a FACTS.md (i) event
       starting that day, or the Coinalyze BTC-perp open interest of the day before
       (2022-01-03..2024-09-20, with ``data_dir``).
    2. Else the latest dated before the day: a FACTS.md (i) event (those read from the
       Coinalyze files only with ``data_dir``), or the config's own snapshot when its
       ``as_of`` is before the day (it wins a tie: it is the calibration).
    3. Else None (nothing on file is dated before the day).
    """
    from gaemi.data.crypto import (
        COINALYZE_DIR,
        Positioning,
        event_positioning,
        load_crypto_config,
        load_crypto_events,
        positioning_on_file,
    )

    d = _iso_day(day)
    evs = load_crypto_events()
    own = positioning_on_file(d, shared_dir=data_dir, events=evs)
    if own is not None:
        ev = next((e for e in evs.events if e.start == d and e.data != "coinalyze"), None)
        what = (
            f"the {ev.id} liquidation event (FACTS.md §i)"
            if ev is not None
            else "Coinalyze BTC perpetuals, the day before"
        )
        return KnownPositioning(own, what)
    coinalyze = data_dir is not None and (Path(data_dir) / COINALYZE_DIR).is_dir()
    before = [e for e in evs.events if e.start < d and (e.data != "coinalyze" or coinalyze)]
    latest = max(before, key=lambda e: e.start) if before else None
    c = cfg if cfg is not None else load_crypto_config()
    if c.as_of and c.as_of < d and (latest is None or latest.start <= c.as_of):
        p = c.params["open_interest_usd"]
        pos = Positioning(
            c.as_of,
            float(p.value),
            sources={"open_interest_usd": f"the config's ({str(p.source).strip()})"},
        )
        return KnownPositioning(
            pos,
            f"the config's own snapshot ({c.name}), the latest dated before {d}",
            snapshot=True,
        )
    if latest is None:
        return None
    return KnownPositioning(
        event_positioning(latest, evs, data_dir),
        f"the {latest.id} liquidation event (FACTS.md §i), the latest dated before {d}",
    )


class NoPositioningError(GaemiInputError):
    """Nothing on file is dated on or before the day (:func:`crypto_setup`): the report
    reads it as "not known"."""


def _no_positioning(d: str) -> NoPositioningError:
    from gaemi.data.crypto import load_crypto_events

    ids = ", ".join(e.id for e in load_crypto_events().events if e.data != "coinalyze")
    return NoPositioningError(
        f"date = {d}: no positioning on file on or before it (FACTS.md events: {ids}; "
        "Coinalyze 2022-01-03..2024-09-20 needs the shared data folder); give the open "
        "interest yourself"
    )


def _check_leveraged(leveraged_frac_of_oi: float | None) -> None:
    if leveraged_frac_of_oi is not None and not leveraged_frac_of_oi > 0:
        raise GaemiInputError(
            f"leveraged_frac_of_oi = {leveraged_frac_of_oi!r} must be > 0 (with no leveraged "
            "position nothing can be liquidated)"
        )


def _with_given(
    pos: Positioning,
    *,
    open_interest_usd: float | None,
    leveraged_frac_of_oi: float | None,
    long_share_frac: float | None,
    funding_rate_frac: float | None,
) -> Positioning:
    """``pos`` with the given values over its own (checked by Positioning)."""
    import dataclasses

    _check_leveraged(leveraged_frac_of_oi)
    over: dict[str, Any] = {}
    srcs = dict(pos.sources)
    if open_interest_usd is not None:
        over["open_interest_usd"] = float(open_interest_usd)
        srcs["open_interest_usd"] = "given"
    if funding_rate_frac is not None:
        over["funding_rate_frac"] = float(funding_rate_frac)
        srcs["funding_rate_frac"] = "given"
    if leveraged_frac_of_oi is not None:
        over["leveraged_frac_of_oi"] = float(leveraged_frac_of_oi)
    if long_share_frac is not None:
        over["long_share_frac"] = float(long_share_frac)
    return dataclasses.replace(pos, **over, sources=srcs)


def _known_or_config(
    cfg: CryptoConfig, date: str | dt.date | None, data_dir: str | Path | None
) -> KnownPositioning:
    """The positioning known before ``date`` (:func:`positioning_known_before`; a one-line
    error when nothing on file is dated on or before it), or without a date the config's
    own open interest ("given")."""
    from gaemi.data.crypto import Positioning

    if date is None:
        src = f"the config's ({cfg.params['open_interest_usd'].source})"
        oi = float(cfg.v("open_interest_usd"))
        return KnownPositioning(
            Positioning("given", oi, sources={"open_interest_usd": src}), "given"
        )
    known = positioning_known_before(date, data_dir, cfg=cfg)
    if known is None:
        raise _no_positioning(_iso_day(date))
    return known


@dataclass(frozen=True)
class CryptoSetup:
    """The crypto config for a dated (or given) positioning, with what it used.

    Attributes
    ----------
    config : gaemi.data.crypto.CryptoConfig
        The config built from the positioning (the input config itself when the
        positioning is its own snapshot and nothing is given over it).
    positioning : gaemi.data.crypto.Positioning
        The positioning used, the leveraged share filled in.
    what : str
        Which positioning (:attr:`KnownPositioning.what`; "given" without a date).
    leveraged_share_source : str
        Where the leveraged share comes from: "given", the measured law, or the config's.
    snapshot : bool
        True when the positioning is the config's own snapshot (no dated one replaced it).
    notes, warnings : tuple of str
        The positioning line for a human; what fell back.
    choices : tuple of Choice
        Positioning date, open interest, leveraged share and long share with their sources.
    """

    config: CryptoConfig
    positioning: Positioning
    what: str
    leveraged_share_source: str
    snapshot: bool = False
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()


CONFIG_KAPPA = "the config's (Oct-2025 calibration)"


def crypto_setup(
    cfg: CryptoConfig | None = None,
    *,
    date: str | dt.date | None = None,
    open_interest_usd: float | None = None,
    leveraged_frac_of_oi: float | None = None,
    long_share_frac: float | None = None,
    funding_rate_frac: float | None = None,
    data_dir: str | Path | None = None,
) -> CryptoSetup:
    """The config a crypto run uses for a day: one rule for ``gaemi crypto`` and the report.

    (a) the positioning known before ``date`` (:func:`positioning_known_before`), else the
    config's with the given values; (b) the leveraged share: given > the measured liquidation
    law for that positioning when ``data_dir`` holds the candles and the Coinalyze files
    (:func:`gaemi.data.crypto.law_leveraged_share`; not for the config's own snapshot) > the
    config's; the long share: given > the config's; (c) the config built from them
    (:func:`gaemi.data.crypto.with_positioning`; book depth scales with open interest).

    Raises a one-line :class:`GaemiInputError` when ``date`` has no positioning on file
    on or before it.
    """
    import dataclasses

    from gaemi.data.crypto import (
        BINANCE_DIR,
        COINALYZE_DIR,
        law_leveraged_share,
        load_crypto_config,
        with_positioning,
    )

    base = cfg if cfg is not None else load_crypto_config()
    if data_dir is not None and date is None:
        raise GaemiInputError("data_dir is read for the positioning of a date: give the date too")
    _check_leveraged(leveraged_frac_of_oi)  # before any file is read
    known = _known_or_config(base, date, data_dir)
    what, snapshot = known.what, known.snapshot
    pos = _with_given(
        known.positioning,
        open_interest_usd=open_interest_usd,
        leveraged_frac_of_oi=leveraged_frac_of_oi,
        long_share_frac=long_share_frac,
        funding_rate_frac=funding_rate_frac,
    )
    warns: list[str] = []
    if leveraged_frac_of_oi is not None:
        kappa_src = "given"
    else:
        kappa_src = CONFIG_KAPPA
        if data_dir is not None and not snapshot:  # a dated positioning (data_dir needs a date)
            if all((Path(data_dir) / sub).is_dir() for sub in (BINANCE_DIR, COINALYZE_DIR)):
                try:
                    k_law, law_src = law_leveraged_share(data_dir, base, pos)
                except GaemiInputError as e:
                    warns.append(f"leveraged share: the measured law is not usable ({e})")
                    kappa_src = f"{CONFIG_KAPPA}; the measured law is not usable: {e}"
                else:
                    pos = dataclasses.replace(pos, leveraged_frac_of_oi=k_law)
                    kappa_src = law_src
            else:
                kappa_src = (
                    f"{CONFIG_KAPPA}; the measured law needs {BINANCE_DIR} and "
                    f"{COINALYZE_DIR} in the data folder"
                )
    unchanged = snapshot and all(
        v is None for v in (open_interest_usd, leveraged_frac_of_oi, long_share_frac)
    )
    out = base if unchanged else with_positioning(base, pos)
    kappa = out.v("long_frac_of_oi") + out.v("short_frac_of_oi")
    share_src = "given" if long_share_frac is not None else CONFIG_KAPPA
    note = (
        f"positioning of {pos.date}{'' if what == 'given' else f' ({what})'}: open interest "
        f"{format_usd(pos.open_interest_usd)} ({pos.sources.get('open_interest_usd', 'given')}); "
        f"leveraged share of OI {kappa:.3f} ({kappa_src}), long share "
        f"{format_percent(out.v('long_frac_of_oi') / kappa, decimals=0)}"
        + (
            f"; funding {format_frac(pos.funding_rate_frac, decimals=4)} per 8 h "
            f"({pos.sources.get('funding_rate_frac', 'given')}; not used by the cascade)"
            if pos.funding_rate_frac is not None
            else ""
        )
    )
    choices = (
        Choice("positioning_date", pos.date, what),
        Choice(
            "open_interest_usd",
            pos.open_interest_usd,
            pos.sources.get("open_interest_usd", "given"),
        ),
        Choice("leveraged_frac_of_oi", kappa, kappa_src),
        Choice("long_share_frac", out.v("long_frac_of_oi") / kappa, share_src),
    )
    return CryptoSetup(
        config=out,
        positioning=dataclasses.replace(pos, leveraged_frac_of_oi=kappa),
        what=what,
        leveraged_share_source=kappa_src,
        snapshot=snapshot,
        notes=(note,),
        warnings=tuple(warns),
        choices=choices,
    )


__all__ = [
    "CryptoCascadeResult",
    "CryptoSetup",
    "KnownPositioning",
    "NoPositioningError",
    "crypto_cascade",
    "crypto_setup",
    "default_setup",
    "korea_frame",
    "positioning_known_before",
    "premium_signal",
]
