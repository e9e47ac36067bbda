"""The athlete's drive, integrated: one movement of the body under the bar.

``move`` integrates the equation of motion of ``body.py`` (semi-implicit
Euler, 1 kHz) while a small controller - the athlete's nervous system - sets
the neural excitation of the pulling muscles:

- ``pull``: excitation = the static hold at the current angle (an internal
  model) x (1 + effort), with a slow wobble; Hill's force-velocity law and the
  activation lag decide how fast the body actually rises. The pull may start
  with the shoulder girdle packing (the shoulder slides ``s`` -> ``s_to``).
  It ends on the chest at the bar (settled), on braking short of it (the
  athlete aims ``stop_gap_m`` short), or on a stall (too weak, fatigue).
- ``lower``: the athlete lets the body down at a chosen speed (eccentric,
  a little under the hold, with speed feedback); it ends at the elbows'
  stop (relaxing into the hang), or at ``turn_deg`` of elbow angle when the
  athlete pulls again before the arms are straight.
- ``release``: the hands open; the body falls onto the floor.

The inner loop is the scalar twin of ``body.chain`` (tests compare them).
Everything recorded is a state (angle, shoulder slide) and the load on the
bar that the state's forces put on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import body as bd
from .body import (
    ACT_DOWN_S, ACT_UP_S, ARM_STOP_N_PER_M, CHEST_N_PER_M, CHEST_N_S_PER_M, DT_S,
    FLOOR_N_PER_M, FLOOR_N_S_PER_M, G_MS2, Geometry,
)

TWO_PI = 2 * math.pi


@dataclass
class State:
    t_s: float
    theta: float
    omega: float = 0.0
    act: float = 0.0          # muscle activation 0..1
    s: float = 0.0            # shoulder girdle slide towards the hands, m
    grip: float = 1.0         # 1: holding the bar, 0: hands open
    k_max: float = 1.0        # today's maximum drive (fatigue lowers it)


@dataclass
class Track:
    """What a movement left behind, one row per integration step."""

    t_s: list[float] = field(default_factory=list)
    theta: list[float] = field(default_factory=list)
    s: list[float] = field(default_factory=list)
    load_n: list[float] = field(default_factory=list)
    grip: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Drive:
    kind: str                    # 'pull', 'lower', 'release'
    effort: float = 0.5          # pull: drive over the hold; lower: drive under it
    wobble: float = 0.0          # relative amplitude of a slow effort wobble
    wobble_hz: float = 1.3
    wobble_phase: float = 0.0
    s_to: float | None = None    # pull: shoulder packs to this slide ...
    pack_s: float = 0.0          # ... over this long
    stop_gap_m: float | None = None   # pull: aim to stop this far short of the bar
    lower_s: float = 1.5         # lower: intended duration to straight arms
    turn_deg: float | None = None     # lower: pull again at this elbow angle
    bounce: bool = False         # lower: go straight into the next pull at the stop
    arrive_m_s: float = 0.1      # pull to touch: closing speed when the chest meets the bar
    brake_m_s2: float = 1.5      # how hard the athlete brakes near the bar (and the bottom)
    press: float = 0.1           # pull: drive over the hold once the chest is on the bar
    min_drive: float = 0.6       # lower: the least share of the hold the athlete keeps
    arrive_bottom_rad_s: float = 0.08   # lower: body speed left when the elbows reach their stop
    max_s: float = 12.0


NEURAL_S = 0.01     # the command's update period (a 100 Hz nervous system)


def _floor_free_theta(g: Geometry) -> float:
    """Above this body angle neither buttocks nor upper back can reach the floor."""
    free = -1.5
    for r, depth in ((g.r_hip, g.h_back), (g.r_s, g.h_upper_back)):
        for th in np.arange(-1.5, 1.5, 0.002):
            if g.heel_y + r * math.sin(th) - depth * math.cos(th) > 0.02:
                free = max(free, th)
                break
    return free + 0.02


def move(g: Geometry, st: State, drv: Drive) -> tuple[Track, str]:
    """Integrate one movement from ``st`` (updated in place); returns the
    track and how it ended."""
    p = g.p
    a, b = g.a, g.b
    ab2 = 2 * a * b
    aa_bb = a * a + b * b
    aa_m_bb = a * a - b * b
    r_s, heel_y, bar_x, bar_y = g.r_s, g.heel_y, g.bar_x, g.bar_y
    by_rel = bar_y - heel_y
    d_lock, arm_damp = g.d_lock, g.arm_damping
    h_c, bar_r = g.h_c, p.bar_radius_m
    share = p.shoulder_share
    inertia = g.inertia
    mgr = G_MS2 * g.mass * g.r_g
    plates_g = G_MS2 * p.plates_kg
    r_p, h_p = g.r_p, g.h_p
    r_hip, h_back, h_ub = g.r_hip, g.h_back, g.h_upper_back
    w_e = p.elbow_speed_rad_s
    w_s = p.shoulder_speed_rad_s
    dt = DT_S
    kind = drv.kind
    cos, sin, sqrt, acos, atan2 = math.cos, math.sin, math.sqrt, math.acos, math.atan2
    fv_k, fv_emax = bd.FV_CURVATURE, bd.FV_ECCENTRIC_MAX
    touch = kind == "pull" and drv.stop_gap_m is None
    aim_gap = drv.stop_gap_m if drv.stop_gap_m is not None else -drv.arrive_m_s * 0.02
    arrive2 = (drv.arrive_m_s if touch else 0.0) ** 2
    still_for = 0.0

    tr = Track()
    t_rec, th_rec, s_rec, load_rec, grip_rec = tr.t_s, tr.theta, tr.s, tr.load_n, tr.grip
    t, th, om, act, s, grip, k_max = st.t_s, st.theta, st.omega, st.act, st.s, st.grip, st.k_max
    s0 = s
    s_to = drv.s_to if drv.s_to is not None else s
    pack_s = max(drv.pack_s, 1e-9)
    t0 = t
    phi_prev = None
    sig_prev = 0.0
    phi_dot = sig_dot = 0.0
    table = None
    table_s = None
    next_cmd_t = t
    dt_fine, dt_slow, slow_w = DT_S, bd.DT_SLOW_S, bd.SLOW_RAD_S
    x = 0.0
    th_free = g.extras.get("th_free")
    if th_free is None:
        th_free = g.extras["th_free"] = _floor_free_theta(g)
    ux = uy = lever_line = 0.0
    inv_step = 1.0 / bd.TABLE_STEP_RAD
    tendon_s = bd.TENDON_S
    lever_min = bd.LEVER_MIN_M
    contact_t = None
    settled_for = 0.0
    braking = braked = False
    moved = False
    relaxing = False
    outcome = "timeout"
    lower_w = 0.0
    lock_th = 0.0
    m_floor_drive = drv.min_drive - 1.0
    brake_w = drv.brake_m_s2 / r_s
    if kind == "lower":
        # intended descent speed (rad/s of body angle) from the top to the hang
        lock_th = bd.lock_theta(g, s)
        lower_w = max(0.02, (th - lock_th) / max(0.2, drv.lower_s))
    turn = math.radians(drv.turn_deg) if drv.turn_deg is not None else None
    dt_prev = dt
    t_stop = t0 + drv.max_s
    while t < t_stop:
        el = t - t0
        if kind == "pull" and el < pack_s:
            w = el / pack_s
            s = s0 + (s_to - s0) * (0.5 - 0.5 * cos(math.pi * w))
        elif kind == "pull":
            s = s_to
        c, sn = cos(th), sin(th)
        if kind == "pull" and el < pack_s:
            use_table = False
        elif table is None or table_s != s:
            table, table_s = bd.chain_table(g, s), s
            T_me, T_ms, T_le, T_ls = table["me"], table["ms"], table["le"], table["ls"]
            T_ux, T_uy, T_d, T_lev = table["ux"], table["uy"], table["d"], table["lever"]
            T_dphi, T_dsig, T_phi = table["dphi"], table["dsig"], table["phi"]
            t_lo, t_n = table["lo"], table["n"] - 2
            use_table = True
        else:
            use_table = True
        if use_table:
            xi = (th - t_lo) * inv_step
            i = int(xi)
            if i < 0:
                i, f = 0, 0.0
            elif i > t_n:
                i, f = t_n, 1.0
            else:
                f = xi - i
            j = i + 1
            me = T_me[i] + f * (T_me[j] - T_me[i])
            ms = T_ms[i] + f * (T_ms[j] - T_ms[i])
            le = T_le[i] + f * (T_le[j] - T_le[i])
            ls = T_ls[i] + f * (T_ls[j] - T_ls[i])
            d = T_d[i] + f * (T_d[j] - T_d[i])
            dphi = T_dphi[i] + f * (T_dphi[j] - T_dphi[i])
            dsig = T_dsig[i] + f * (T_dsig[j] - T_dsig[i])
            tendon = dt_prev / tendon_s
            phi_dot += (dphi * om - phi_dot) * tendon
            sig_dot += (dsig * om - sig_dot) * tendon
            phi_prev = None
            if turn is not None:
                phi = T_phi[i] + f * (T_phi[j] - T_phi[i])
            if d > d_lock:
                ux = T_ux[i] + f * (T_ux[j] - T_ux[i])
                uy = T_uy[i] + f * (T_uy[j] - T_uy[i])
                lever_line = T_lev[i] + f * (T_lev[j] - T_lev[i])
        else:
            sx, sy = r_s * c, heel_y + r_s * sn
            lx, ly = bar_x - sx, bar_y - sy
            dl = sqrt(lx * lx + ly * ly)
            ux, uy = lx / dl, ly / dl
            px, py = -uy, ux
            spx, spy = sx + s * ux, sy + s * uy
            d = dl - s
            dc = d if d < d_lock else d_lock
            cphi = (aa_bb - dc * dc) / ab2
            if cphi > 1.0:
                cphi = 1.0
            elif cphi < -1.0:
                cphi = -1.0
            sphi = 1.0 - cphi * cphi
            sphi = sqrt(sphi) if sphi > 1e-12 else 1e-6
            cpsi = (aa_m_bb + dc * dc) / (2 * a * dc)
            if cpsi > 1.0:
                cpsi = 1.0
            spsi = 1.0 - cpsi * cpsi
            spsi = sqrt(spsi) if spsi > 0.0 else 0.0
            ex = spx + a * (cpsi * ux + spsi * px)
            ey = spy + a * (cpsi * uy + spsi * py)
            fx_, fy_ = (bar_x - ex) / b, (bar_y - ey) / b
            e = a * b * sphi / dc
            if e < lever_min:
                e = lever_min
            cross_s = (bar_x - spx) * fy_ - (bar_y - spy) * fx_
            if -lever_min < cross_s < lever_min:
                cross_s = -lever_min if cross_s < 0 else lever_min
            rx, ry = spx, spy - heel_y
            lever_line = rx * uy - ry * ux             # moment of a unit pull along the line
            lever_fore = rx * fy_ - ry * fx_
            # per unit elbow torque / per unit shoulder torque: moment and bar load
            me = lever_line / e
            ms = (-lever_fore / cross_s - 1.0) if abs(cross_s) > 1e-9 else -1.0
            le = uy / e
            ls = (-fy_ / cross_s) if abs(cross_s) > 1e-9 else 0.0
            phi = acos(cphi)
            sig = atan2(c * (ey - spy) - sn * (ex - spx), c * (ex - spx) + sn * (ey - spy))
            if phi_prev is not None:
                # joint speeds as the muscle fibres see them: through compliant tendons
                dsig = sig - sig_prev
                if dsig > math.pi:
                    dsig -= TWO_PI
                elif dsig < -math.pi:
                    dsig += TWO_PI
                tendon = dt_prev / tendon_s
                phi_dot += ((phi - phi_prev) / dt_prev - phi_dot) * tendon
                sig_dot += (dsig / dt_prev - sig_dot) * tendon
            phi_prev, sig_prev = phi, sig
        # gravity, chest, floor, passive arm stop
        m_grav = -(mgr * c + plates_g * (r_p * c - h_p * sn))
        r_b = bar_x * c + by_rel * sn
        gap = (-bar_x * sn + by_rel * c) - h_c - bar_r
        n_chest = 0.0
        if gap < 0.0:
            n_chest = CHEST_N_PER_M * -gap + CHEST_N_S_PER_M * r_b * om
            if n_chest < 0.0:
                n_chest = 0.0
        m_floor = 0.0
        if th < th_free:       # near enough the floor to touch it
            y1 = heel_y + r_hip * sn - h_back * c
            if y1 < 0.0:
                n = FLOOR_N_PER_M * -y1 - FLOOR_N_S_PER_M * (r_hip * c + h_back * sn) * om
                if n > 0:
                    m_floor += n * (r_hip * c + h_back * sn)
            y2 = heel_y + r_s * sn - h_ub * c
            if y2 < 0.0:
                n = FLOOR_N_PER_M * -y2 - FLOOR_N_S_PER_M * (r_s * c + h_ub * sn) * om
                if n > 0:
                    m_floor += n * (r_s * c + h_ub * sn)
        else:
            y1 = y2 = 1.0
        t_p = 0.0
        if d > d_lock:
            d_dot = -(ux * (-r_s * sn * om) + uy * (r_s * c * om))
            t_p = ARM_STOP_N_PER_M * (d - d_lock) + arm_damp * d_dot
            if t_p < 0.0:
                t_p = 0.0
        m_passive = t_p * lever_line
        # ----- the athlete's controller: the nervous system updates its command
        # every NEURAL_S, not on every 2 ms step ----------------------------------------
        if kind == "release":
            grip = grip - dt / 0.06 if grip > dt / 0.06 else 0.0
        if t >= next_cmd_t:
            next_cmd_t = t + NEURAL_S
            per_unit = me + share * ms
            hold = -(m_grav) / per_unit if per_unit > 1e-9 else 0.0
            if hold < 0.0:
                hold = 0.0
            if kind == "pull":
                effort = drv.effort * (1.0 + drv.wobble * sin(TWO_PI * drv.wobble_hz * el + drv.wobble_phase))
                v_gap = r_b * om                          # closing speed, m/s
                # the athlete sees the bar coming and brakes along a braking curve, to
                # arrive (touch) or to stop short; a reaction time makes it start early
                braking = (moved and v_gap > 0.0 and
                           gap - aim_gap <= (v_gap * v_gap - arrive2) / (2 * drv.brake_m_s2) + v_gap * 0.03)
                if braking:
                    braked = True
                if contact_t is not None:
                    x = hold * (1.0 + drv.press) / k_max
                elif braking:
                    x = hold * (0.55 if v_gap * v_gap > arrive2 else 1.0 + effort) / k_max
                elif el < pack_s and drv.pack_s > 0:
                    x = hold * (0.6 + 0.4 * el / pack_s) / k_max
                else:
                    x = hold * (1.0 + effort) / k_max
            elif kind == "lower":
                if relaxing:
                    x = 0.0
                else:
                    # slow down before the elbows lock (the athlete feels the bottom coming)
                    room = th - lock_th
                    w_ok = sqrt(2.0 * brake_w * room) + drv.arrive_bottom_rad_s if room > 0 else drv.arrive_bottom_rad_s
                    w_goal = lower_w if lower_w < w_ok else w_ok
                    # >0: falling too fast; 0.3 rad/s too fast asks for the hold again
                    m = -drv.effort + (-om - w_goal) / 0.3
                    if m < m_floor_drive:   # under control: never much less than the hold
                        m = m_floor_drive
                    elif m > 1.0:
                        m = 1.0
                    x = hold * (1.0 + m) / k_max
            else:   # release
                x = 0.0
        if x > 1.0:
            x = 1.0
        elif x < 0.0:
            x = 0.0
        act += (x - act) * dt / (ACT_UP_S if x > act else ACT_DOWN_S)
        v = -phi_dot / w_e
        if v >= 0.0:
            fv_e = (1.0 - v) / (1.0 + v / fv_k) if v < 1.0 else 0.0
        else:
            fv_e = fv_emax - (fv_emax - 1.0) * 0.05 / (0.05 - v)
        v = sig_dot / w_s
        if v >= 0.0:
            fv_s = (1.0 - v) / (1.0 + v / fv_k) if v < 1.0 else 0.0
        else:
            fv_s = fv_emax - (fv_emax - 1.0) * 0.05 / (0.05 - v)
        tau_e = act * k_max * fv_e
        tau_s = share * act * k_max * fv_s
        m_arms = grip * (tau_e * me + tau_s * ms + m_passive)
        moment = m_grav + m_arms - n_chest * r_b + m_floor
        load = grip * (tau_e * le + tau_s * ls + t_p * uy) - n_chest * c
        # record the state and the load it puts on the bar, then step
        t_rec.append(t)
        th_rec.append(th)
        s_rec.append(s)
        load_rec.append(load)
        grip_rec.append(grip)
        om += moment / inertia * dt
        th += om * dt
        t += dt
        dt_prev = dt
        # slow and far from anything stiff (arm stop, chest on the bar, floor): a
        # longer step gives the same motion (test_judge_validation checks it)
        if (-slow_w < om < slow_w and gap > 0.03 and d < d_lock - 0.01 and th > th_free
                and kind != "release" and el > pack_s):
            dt = dt_slow
        else:
            dt = dt_fine
        # ----- how the movement ends ---------------------------------------------
        if kind == "pull":
            if om > 0.02 and el >= drv.pack_s:
                moved = True
            if gap <= 0.0 and contact_t is None:
                contact_t = t
            if contact_t is not None:
                settled_for = settled_for + dt if abs(om) < 0.01 else 0.0
                if settled_for >= 0.04 or t - contact_t > (0.03 if drv.bounce else 0.4):
                    outcome = "contact"
                    break
            elif moved and (om <= 0.0 or (braked and not touch and gap - aim_gap < 0.003)):
                still_for += dt
                if braked or still_for >= 0.25:
                    outcome = "stopped" if braked else "stalled"
                    break
            elif el > drv.pack_s + 1.5 and not moved:
                outcome = "stalled"
                break
        elif kind == "lower":
            if turn is not None and phi >= turn:
                outcome = "turn"
                break
            if d >= d_lock - 0.001:
                if drv.bounce:
                    outcome = "bottom"
                    break
                relaxing = True
            if relaxing:
                settled_for = settled_for + dt if abs(om) < 0.005 else 0.0
                if settled_for >= 0.06:
                    outcome = "locked"
                    break
        else:
            if grip <= 0.0:
                settled_for = settled_for + dt if abs(om) < 0.005 and (y1 < 0 or y2 < 0) else 0.0
                if settled_for >= 0.1:
                    outcome = "fallen"
                    break
    st.t_s, st.theta, st.omega, st.act, st.s, st.grip = t, th, om, act, s, grip
    return tr, outcome
