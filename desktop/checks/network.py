"""The doctor's network checks: the connection's speed against each network's minimum,
NAT, and the ports a network needs reachable.

Why warnings rather than failures: a network below its minimum may still accept the node
(it ranks it lower, or leaves it out of rewards; io.net's minimum is for its airdrop), and
a single measurement is noisy; the doctor's exit code stays about whether this computer
can run work at all. Each network's minimum comes from its own module (``LINK_NEEDS``,
desktop/checks/link_needs.py) through the CLI, so adding a network adds its line here.
"""

from __future__ import annotations

from desktop.checks.context import DoctorContext
from desktop.checks.link_needs import LinkNeeds
from desktop.checks.link_probe import LinkMeasure
from desktop.checks.reachability import behind_nat, probe_port
from desktop.model import CheckResult, CheckStatus

SPEED_TITLE = "Internet speed"
SETTING = "network.speed_test_url"


def _skip(check_id: str, title: str, why: str) -> CheckResult:
    return CheckResult(check_id, title, CheckStatus.SKIP, why)


def check_speed(ctx: DoctorContext) -> CheckResult:
    """Latency, download and upload against the measuring endpoint (a setting)."""
    link = ctx.link()
    details = {
        "endpoint": link.endpoint,
        "down_mbps": link.down_mbps,
        "up_mbps": link.up_mbps,
        "latency_ms": link.latency_ms,
    }
    if not link.measured:
        return CheckResult(
            "network.speed",
            SPEED_TITLE,
            CheckStatus.WARN,
            f"could not measure: {link.error}",
            f"Check the internet connection; to measure against another speed-test server, "
            f"set {SETTING} (`rigpilot settings set {SETTING} https://...`) or pass "
            "--speed-url.",
            details,
        )
    summary = f"{link.down_mbps:g} Mb/s down, {link.up_mbps:g} Mb/s up"
    if link.latency_ms is not None:
        summary += f", {link.latency_ms:g} ms"
    return CheckResult("network.speed", SPEED_TITLE, CheckStatus.PASS, summary, "", details)


def check_needs(ctx: DoctorContext) -> list[CheckResult]:
    """One row per network with a documented minimum: met, or what falls short."""
    link = ctx.link()
    return [_judge(link, needs) for needs in ctx.link_needs]


def _judge(link: LinkMeasure, needs: LinkNeeds) -> CheckResult:
    check_id, title = f"network.needs.{needs.network}", f"{needs.name}: internet"
    if not link.measured:
        why = f"not judged: the speed could not be measured ({needs.minimum()} needed)"
        return _skip(check_id, title, why)
    short = []
    if link.down_mbps is not None and link.down_mbps < needs.down_mbps:
        short.append(f"download {link.down_mbps:g} Mb/s is below {needs.down_mbps:g}")
    if link.up_mbps is not None and link.up_mbps < needs.up_mbps:
        short.append(f"upload {link.up_mbps:g} Mb/s is below {needs.up_mbps:g}")
    limit, latency = needs.max_latency_ms, link.latency_ms
    if limit is not None and latency is not None and latency > limit:
        short.append(f"latency {latency:g} ms is above {limit:g}")
    details = {"needs": needs.minimum(), "source": needs.source}
    if not short:
        met = f"meets {needs.minimum()}"
        return CheckResult(check_id, title, CheckStatus.PASS, met, "", details)
    source = f" ({needs.source})" if needs.source else ""
    return CheckResult(
        check_id,
        title,
        CheckStatus.WARN,
        "; ".join(short),
        f"{needs.name} asks for {needs.minimum()}{source}: use a wired connection, stop "
        "other transfers, or a faster internet plan.",
        details,
    )


def check_nat(ctx: DoctorContext) -> CheckResult:
    """Behind NAT or not, and what that means for the networks that need inbound ports."""
    title = "Reachable from outside"
    public = ctx.link().public_ip
    if public is None:
        return _skip("network.nat", title, "not judged: the public address is unknown")
    inbound = [n for n in ctx.link_needs if n.inbound]
    details = {"public_ip": public}
    if not behind_nat(public):
        summary = f"this computer has the public address {public}"
        return CheckResult("network.nat", title, CheckStatus.PASS, summary, "", details)
    summary = f"behind NAT: the internet sees {public}, your router's address"
    if not inbound:
        summary += "; none of RigPilot's networks needs connections from outside"
        return CheckResult("network.nat", title, CheckStatus.PASS, summary, "", details)
    needs = " ".join(f"{n.name} needs {n.inbound}." for n in inbound)
    return CheckResult(
        "network.nat",
        title,
        CheckStatus.WARN,
        summary,
        f"{needs} Forward those ports on your router to this computer, then test one with "
        "`rigpilot doctor --port N`.",
        details,
    )


def check_ports(ctx: DoctorContext) -> list[CheckResult]:
    """One row per port asked for (``--port``) or named by a network: reachable or not."""
    public = ctx.link().public_ip
    named = {p: n.name for n in ctx.link_needs for p in n.inbound_ports}
    rows = []
    for port in sorted({*ctx.ports, *named}):
        check_id, title = f"network.port.{port}", f"Port {port}"
        if public is None:
            rows.append(_skip(check_id, title, "not tested: the public address is unknown"))
            continue
        probe = probe_port(public, port)
        status = CheckStatus.PASS if probe.reachable else CheckStatus.WARN
        fix = (
            ""
            if probe.reachable
            else f"Forward TCP port {port} on your router to this computer and allow it in "
            "the firewall. (A router without NAT loopback fails this test even when the "
            "port is forwarded: then test it from outside.)"
        )
        who = f" (for {named[port]})" if port in named else ""
        rows.append(
            CheckResult(check_id, title + who, status, probe.detail, fix, {"public_ip": public})
        )
    return rows
