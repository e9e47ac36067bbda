"""A second athlete: a straight body pivoting at the heels under a Smith bar.

Written apart from the project's simulator (``device/sim``) and its judge:
nothing here scripts a gap profile. The athlete's nervous system sets a drive
(an activation); the elbow flexors and the shoulder extensors turn it into
joint torques (force-velocity limited); the closed chain trunk - shoulder -
arm - bar turns the torques into a hand force; the body's rotation about the
heels follows from the moment balance. Chest height, elbow angle, the gap the
sensor sees and the load on the bar all FOLLOW from the integrated state.

Frame: x horizontal from the heels towards the head, y up, metres, newtons.
The heels are a pin O = (0, heel_y). The body axis runs from the heels
through the shoulder joint at angle ``theta`` (positive: head above heels);
``u = (cos, sin)`` along it, ``n = (-sin, cos)`` its normal on the chest side
(the athlete lies face up). The hands hold the bar at B = (bar_x, bar_y).

Equation of motion (one degree of freedom, ``theta``):

    I_O * theta'' = M_gravity + M_arms + M_chest + M_floor

    M_gravity = -m g (r_g cos th) - m_p g (r_p cos th - h_p sin th)
    M_arms    = (S' - O) x F_hand - tau_s * grip
    M_chest   = -N_chest * r_B          (chest pressed against the bar)

The arms are a massless planar two-link chain (upper arm a, forearm-to-grip
b, both foreshortened by the grip's lateral splay) pinned at the shoulder S'
and at the hand. With the elbow torque tau_e and the shoulder torque tau_s
the hand force is fixed by two moment balances (forearm about the elbow,
whole arm about the shoulder):

    F_hand = (tau_e / e) l  +  f_s (H - E)/b,   e = a b sin(phi) / d,
    f_s = -tau_s / ((H - S') x (H - E)/b)

plus a passive tension along the arm line when the elbows reach their stop
(straight arms: bones, ligaments and a stretched shoulder girdle). The load
cells under the hooks read the vertical component of what the hands and the
chest do to the bar: ``F_hand_y + T_passive l_y - N_chest cos(theta)``.
Semi-implicit Euler at ``DT_S`` (1 kHz).

Nothing here knows a judge threshold; ``observe`` turns states into what a
person would measure (elbow angle, kinematic gap, the sensor's reading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..units import G_MS2

DT_S = 0.002       # integration step and the timeline's grid (a rep's timing, gap and peak
                   # agree with 0.5 ms steps: test_judge_validation)
DT_SLOW_S = 0.005  # the step while the body moves slowly, far from anything stiff
SLOW_RAD_S = 0.25  # "slowly": the body turns slower than this about the heels

# Tissue and joint constants (orders of magnitude from biomechanics texts):
ARM_STOP_N_PER_M = 4.0e4       # straight arms: elbows locked, the shoulder girdle stretched
ARM_STOP_DAMPING = 0.8         # soft tissue: heavily damped
CHEST_N_PER_M = 4.0e4          # chest wall + shirt pressed on the bar
CHEST_N_S_PER_M = 900.0
FLOOR_N_PER_M = 1.2e5          # back/buttocks on the floor
FLOOR_N_S_PER_M = 4000.0
ACT_UP_S = 0.045               # activation / deactivation time constants
ACT_DOWN_S = 0.080
FV_CURVATURE = 0.25            # Hill's a/F0
TENDON_S = 0.015               # fibre speed follows the joint speed through the tendons
LEVER_MIN_M = 0.05             # near-straight arms are no rigid linkage: the joint
                               # torques' lever on the hand-shoulder line stays >= 5 cm
FV_ECCENTRIC_MAX = 1.5


@dataclass(frozen=True)
class BodyParams:
    """One athlete at one station setup. Lengths in metres; ``None`` lengths
    come from the height by standard anthropometric ratios (Drillis-Contini,
    Winter)."""

    body_mass_kg: float = 80.0
    height_m: float = 1.80
    plates_kg: float = 0.0
    bar_height_m: float = 0.95        # bar centre above the floor
    bench_m: float = 0.0              # heels on a bench this high (0: on the floor)
    upper_arm_m: float | None = None
    forearm_m: float | None = None    # elbow to the centre of the grip
    grip_half_width_m: float = 0.38
    chest_depth_m: float | None = None  # chest surface above the heel-shoulder axis
    contact_shift_m: float = 0.0      # where the bar meets the chest (+: towards the head)
    elbow_max_deg: float = 176.0      # elbows at their stop ("straight")
    inertia_scale: float = 1.0        # radius of gyration about the COM, x 0.24 H
    strength: float = 2.0             # maximum drive / the hardest static hold of the path
    shoulder_share: float = 0.8       # shoulder torque per unit elbow torque (synergy)
    elbow_speed_rad_s: float = 14.0   # unloaded maximum joint speeds (Hill)
    shoulder_speed_rad_s: float = 11.0
    bar_radius_m: float = 0.014
    sensor_recess_m: float = 0.015    # sensor face above the bar's underside
    left_share: float = 0.5


@dataclass
class Geometry:
    """Numbers derived once from ``BodyParams`` (all SI)."""

    p: BodyParams
    heel_y: float = 0.0
    r_s: float = 0.0        # heel to shoulder joint along the axis
    r_c: float = 0.0        # heel to the middle of the chest (nipple line)
    r_g: float = 0.0        # heel to the centre of mass
    r_hip: float = 0.0
    r_p: float = 0.0        # plates
    h_p: float = 0.0
    h_c: float = 0.0        # chest surface height above the axis
    h_abd: float = 0.0
    h_back: float = 0.0     # buttocks below the axis
    h_upper_back: float = 0.0
    a: float = 0.0
    b: float = 0.0
    d_lock: float = 0.0     # arm chain length at the elbow stop
    inertia: float = 0.0
    mass: float = 0.0
    bar_x: float = 0.0
    bar_y: float = 0.0
    theta_top: float = 0.0
    k_max: float = 0.0      # maximum drive (elbow-equivalent N m)
    arm_damping: float = 0.0
    face_y: float = 0.0     # the sensor face
    extras: dict = field(default_factory=dict)

    @classmethod
    def build(cls, p: BodyParams, strength: bool = True) -> "Geometry":
        """``strength=False`` skips the athlete's maximum drive (a setup check)."""
        g = cls(p)
        h = p.height_m
        g.heel_y = p.bench_m + 0.045
        g.r_s = 0.78 * h
        g.r_c = 0.68 * h + p.contact_shift_m
        g.r_g = 0.515 * h
        g.r_hip = 0.49 * h
        bmi = p.body_mass_kg / h ** 2
        g.h_c = p.chest_depth_m if p.chest_depth_m is not None else 0.075 + 0.0022 * (bmi - 20.0)
        g.h_abd = g.h_c - 0.02 + 0.0015 * (bmi - 24.0)
        g.h_back = 0.095 + 0.0018 * (bmi - 20.0)
        g.h_upper_back = 0.07
        g.r_p = 0.50 * h
        g.h_p = g.h_abd + 0.025
        upper = p.upper_arm_m if p.upper_arm_m is not None else 0.186 * h
        fore = p.forearm_m if p.forearm_m is not None else 0.20 * h
        lateral = max(0.0, p.grip_half_width_m - 0.12 * h)
        splay = math.cos(math.asin(min(0.9, lateral / (upper + fore))))
        g.a, g.b = upper * splay, fore * splay
        phi = math.radians(p.elbow_max_deg)
        g.d_lock = math.sqrt(g.a ** 2 + g.b ** 2 - 2 * g.a * g.b * math.cos(phi))
        k_g = 0.24 * h * p.inertia_scale
        g.mass = p.body_mass_kg
        g.inertia = p.body_mass_kg * (k_g ** 2 + g.r_g ** 2) + p.plates_kg * (g.r_p ** 2 + g.h_p ** 2)
        g.bar_y = p.bar_height_m
        g.face_y = g.bar_y - p.bar_radius_m + p.sensor_recess_m
        # The athlete lies so that at the top the bar meets the chest at r_c:
        # B = O + r_c u + (h_c + R) n at theta_top.
        rr = g.h_c + p.bar_radius_m
        dy = g.bar_y - g.heel_y
        # r_c sin th + rr cos th = dy  ->  A sin(th + delta) = dy
        amp = math.hypot(g.r_c, rr)
        delta = math.atan2(rr, g.r_c)
        if abs(dy) > amp:
            raise ValueError("bar out of reach of the chest")
        g.theta_top = math.asin(dy / amp) - delta
        c, s = math.cos(g.theta_top), math.sin(g.theta_top)
        g.bar_x = g.r_c * c - rr * s
        g.arm_damping = 0.0
        # Arm-stop damping: ARM_STOP_DAMPING of critical for the body's
        # inertia seen through the arm line's lever (~r_s).
        k_theta = ARM_STOP_N_PER_M * g.r_s ** 2
        g.arm_damping = 2 * ARM_STOP_DAMPING * math.sqrt(k_theta * g.inertia) / g.r_s ** 2
        g.k_max = 1.0
        if strength:
            g.k_max = p.strength * max_hold_drive(g)
        return g


# ----- the closed chain at one state: forces, for the integrator and tests ------

@dataclass
class Forces:
    moment: float           # about the heels, N m
    bar_load_n: float       # vertical, downwards on the bar (what the load cells carry)
    tension_passive_n: float
    chest_n: float
    floor_n: float
    d_chain: float          # arm chain length, m
    phi: float              # elbow angle, rad (pi: straight)
    sigma: float            # shoulder angle: the upper arm against the trunk axis, rad
    gap_kin: float          # chest surface to bar surface, m (negative: pressed in)
    elbow_torque: float
    shoulder_torque: float


def chain(g: Geometry, theta: float, omega: float, s: float, tau_e: float, tau_s: float,
          grip: float) -> Forces:
    """Every force at one state (readable twin of the integrator's inner loop)."""
    c, sn = math.cos(theta), math.sin(theta)
    sx, sy = g.r_s * c, g.heel_y + g.r_s * sn
    lx, ly = g.bar_x - sx, g.bar_y - sy
    dl = math.hypot(lx, ly)
    ux, uy = lx / dl, ly / dl
    px, py = -uy, ux                       # the elbow's side: feet / floor
    spx, spy = sx + s * ux, sy + s * uy    # shoulder joint slid along the line (girdle)
    d = dl - s
    dc = min(d, g.d_lock)
    a, b = g.a, g.b
    cphi = (a * a + b * b - dc * dc) / (2 * a * b)
    cphi = max(-1.0, min(1.0, cphi))
    sphi = math.sqrt(max(1e-12, 1 - cphi * cphi))
    cpsi = (a * a + dc * dc - b * b) / (2 * a * dc)
    cpsi = max(-1.0, min(1.0, cpsi))
    spsi = math.sqrt(max(0.0, 1 - cpsi * cpsi))
    ex, ey = spx + a * (cpsi * ux + spsi * px), spy + a * (cpsi * uy + spsi * py)
    fx_, fy_ = (g.bar_x - ex) / b, (g.bar_y - ey) / b   # forearm direction, unit
    e = max(a * b * sphi / dc, LEVER_MIN_M)
    t_e = tau_e / e
    hsx, hsy = g.bar_x - spx, g.bar_y - spy
    cross_s = hsx * fy_ - hsy * fx_
    if abs(cross_s) < LEVER_MIN_M:
        cross_s = -LEVER_MIN_M if cross_s < 0 else LEVER_MIN_M
    f_s = -tau_s / cross_s
    # passive arm stop (along the line)
    vs_x, vs_y = -g.r_s * sn * omega, g.r_s * c * omega       # shoulder velocity
    d_dot = -(ux * vs_x + uy * vs_y)
    t_p = 0.0
    if d > g.d_lock:
        t_p = ARM_STOP_N_PER_M * (d - g.d_lock) + g.arm_damping * d_dot
        t_p = max(0.0, t_p)
    fx = grip * ((t_e + t_p) * ux + f_s * fx_)
    fy = grip * ((t_e + t_p) * uy + f_s * fy_)
    rx, ry = spx, spy - g.heel_y
    m_arms = rx * fy - ry * fx - grip * tau_s
    m_grav = -G_MS2 * (g.mass * g.r_g * c + g.p.plates_kg * (g.r_p * c - g.h_p * sn))
    # chest on the bar
    bx, by = g.bar_x, g.bar_y - g.heel_y
    r_b = bx * c + by * sn
    gap = (-bx * sn + by * c) - g.h_c - g.p.bar_radius_m
    gap_dot = -r_b * omega
    n_chest = 0.0
    if gap < 0:
        n_chest = max(0.0, CHEST_N_PER_M * -gap - CHEST_N_S_PER_M * gap_dot)
    m_chest = -n_chest * r_b
    n_floor, m_floor = floor_force(g, theta, omega)
    sigma = math.atan2(c * (ey - spy) - sn * (ex - spx), c * (ex - spx) + sn * (ey - spy))
    return Forces(m_grav + m_arms + m_chest + m_floor, fy - n_chest * c, grip * t_p, n_chest,
                  n_floor, d, math.acos(cphi), sigma, gap, tau_e, tau_s)


TABLE_STEP_RAD = 0.0005


def chain_table(g: Geometry, s: float) -> dict[str, list[float]]:
    """The chain's geometry over a grid of body angles at a fixed shoulder
    slide (the vectorised twin of ``chain``, for the integrator): per unit
    elbow / shoulder torque the moment about the heels (``me``, ``ms``) and
    the bar load (``le``, ``ls``); the arm line (``ux``, ``uy``, its moment
    arm ``lever``, chain length ``d``); joint angles' rates per rad of body
    angle (``dphi``, ``dsig``). Cached on the geometry."""
    key = round(s, 5)
    cache = g.extras.setdefault("tables", {})
    if key in cache:
        return cache[key]
    lo, hi = -1.45, g.theta_top + 0.15
    th = np.arange(lo, hi + TABLE_STEP_RAD, TABLE_STEP_RAD)
    a, b = g.a, g.b
    c, sn = np.cos(th), np.sin(th)
    sx, sy = g.r_s * c, g.heel_y + g.r_s * sn
    lx, ly = g.bar_x - sx, g.bar_y - sy
    dl = np.hypot(lx, ly)
    ux, uy = lx / dl, ly / dl
    px, py = -uy, ux
    spx, spy = sx + s * ux, sy + s * uy
    d = dl - s
    dc = np.minimum(d, g.d_lock)
    cphi = np.clip((a * a + b * b - dc * dc) / (2 * a * b), -1, 1)
    sphi = np.sqrt(np.maximum(1e-12, 1 - cphi * cphi))
    cpsi = np.clip((a * a + dc * dc - b * b) / (2 * a * dc), -1, 1)
    spsi = np.sqrt(np.maximum(0.0, 1 - cpsi * cpsi))
    ex, ey = spx + a * (cpsi * ux + spsi * px), spy + a * (cpsi * uy + spsi * py)
    fx_, fy_ = (g.bar_x - ex) / b, (g.bar_y - ey) / b
    e = np.maximum(a * b * sphi / dc, LEVER_MIN_M)
    cross_s = (g.bar_x - spx) * fy_ - (g.bar_y - spy) * fx_
    cross_s = np.where(np.abs(cross_s) < LEVER_MIN_M, np.where(cross_s < 0, -LEVER_MIN_M, LEVER_MIN_M), cross_s)
    rx, ry = spx, spy - g.heel_y
    lever = rx * uy - ry * ux
    lever_fore = rx * fy_ - ry * fx_
    phi = np.arccos(cphi)
    sig = np.unwrap(np.arctan2(c * (ey - spy) - sn * (ex - spx), c * (ex - spx) + sn * (ey - spy)))
    table = {"lo": lo, "n": len(th), "ux": ux, "uy": uy, "d": d, "lever": lever,
             "phi": phi, "me": lever / e, "ms": -lever_fore / cross_s - 1.0, "le": uy / e, "ls": -fy_ / cross_s,
             "dphi": np.gradient(phi, TABLE_STEP_RAD), "dsig": np.gradient(sig, TABLE_STEP_RAD)}
    table = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in table.items()}
    if len(cache) > 64:
        cache.clear()
    cache[key] = table
    return table


def floor_force(g: Geometry, theta: float, omega: float) -> tuple[float, float]:
    """The floor under the buttocks or the upper back (after a release, lying)."""
    c, sn = math.cos(theta), math.sin(theta)
    n_total, m_total = 0.0, 0.0
    for r, depth in ((g.r_hip, g.h_back), (g.r_s, g.h_upper_back)):
        y = g.heel_y + r * sn - depth * c
        if y < 0.0:
            x = r * c + depth * sn
            vy = (r * c + depth * sn) * omega
            n = max(0.0, FLOOR_N_PER_M * -y - FLOOR_N_S_PER_M * vy)
            n_total += n
            m_total += n * x
    return n_total, m_total


def gravity_moment(g: Geometry, theta: float) -> float:
    """Gravity's moment about the heels (body and plates), N m."""
    c, sn = math.cos(theta), math.sin(theta)
    return -G_MS2 * (g.mass * g.r_g * c + g.p.plates_kg * (g.r_p * c - g.h_p * sn))


def hold_drive(g: Geometry, theta: float, s: float) -> float:
    """The drive (elbow torque; the shoulder adds ``shoulder_share`` of it)
    that alone holds the body still at ``theta`` against gravity."""
    share = g.p.shoulder_share
    f0 = chain(g, theta, 0.0, s, 0.0, 0.0, 1.0)
    f1 = chain(g, theta, 0.0, s, 1.0, share, 1.0)
    per_unit = f1.moment - f0.moment
    return max(0.0, -gravity_moment(g, theta) / per_unit) if per_unit > 0 else 0.0


def max_hold_drive(g: Geometry) -> float:
    """The hardest static hold between the straight-arm hang and the top."""
    lo = hang_theta(g, 0.0)
    return max(hold_drive(g, th, 0.0) for th in np.linspace(lo, g.theta_top, 13))


def hang_theta(g: Geometry, s: float) -> float:
    """Where a relaxed body hangs on straight arms (the arm stop balances gravity)."""
    return _theta_where(g, "hang", s, lambda th: chain(g, th, 0.0, s, 0.0, 0.0, 1.0).moment > 0)


def lock_theta(g: Geometry, s: float) -> float:
    """The body angle at which the elbows reach their stop (no stretch)."""
    return _theta_where(g, "lock", s,
                        lambda th: chain(g, th, 0.0, s, 0.0, 0.0, 1.0).d_chain > g.d_lock)


def _theta_where(g: Geometry, name: str, s: float, below) -> float:
    """The body angle where ``below(theta)`` turns false (bisection between
    -1.2 rad and the top), cached per geometry under ``name`` and ``s``."""
    cache = g.extras.setdefault(name, {})
    if s not in cache:
        lo, hi = -1.2, g.theta_top
        for _ in range(42):
            mid = 0.5 * (lo + hi)
            if below(mid):
                lo = mid
            else:
                hi = mid
        cache[s] = 0.5 * (lo + hi)
    return cache[s]


def fv(v_norm: float) -> float:
    """Hill's force-velocity factor; ``v_norm`` = shortening speed / maximum."""
    if v_norm >= 0:
        if v_norm >= 1:
            return 0.0
        return (1 - v_norm) / (1 + v_norm / FV_CURVATURE)
    x = -v_norm
    return FV_ECCENTRIC_MAX - (FV_ECCENTRIC_MAX - 1) * 0.05 / (0.05 + x)


# ----- what a person would measure ----------------------------------------------

def observe(g: Geometry, theta: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Kinematics of many states at once: elbow angle (deg), kinematic gap
    (mm, chest surface to bar surface, <= 0 when touching), the distance the
    sensor would read without noise (mm, vertical from its face to the body
    surface under the bar) and the chest height (m)."""
    theta = np.asarray(theta, float)
    c, sn = np.cos(theta), np.sin(theta)
    sx, sy = g.r_s * c, g.heel_y + g.r_s * sn
    dl = np.hypot(g.bar_x - sx, g.bar_y - sy)
    d = np.minimum(dl - s, g.d_lock)
    cphi = np.clip((g.a ** 2 + g.b ** 2 - d * d) / (2 * g.a * g.b), -1, 1)
    phi = np.degrees(np.arccos(cphi))
    bx, by = g.bar_x, g.bar_y - g.heel_y
    gap = (-bx * sn + by * c) - g.h_c - g.p.bar_radius_m
    # the vertical ray x = bar_x meets the body surface (chest, or lower the abdomen)
    r_ray = (g.bar_x + g.h_c * sn) / c
    h = surface_height(g, r_ray)
    r_ray = (g.bar_x + h * sn) / c
    h = surface_height(g, r_ray)
    y_surf = g.heel_y + r_ray * sn + h * c
    reading = (g.face_y - y_surf) * 1000.0
    return {"elbow_deg": phi, "gap_kin_mm": gap * 1000.0, "reading_mm": reading,
            "chest_y_m": y_surf}


def surface_height(g: Geometry, r: np.ndarray) -> np.ndarray:
    """Front surface above the axis along the body: chest, then the abdomen."""
    r = np.asarray(r, float)
    lo, hi = g.r_c - 0.30 * g.p.height_m / 1.8, g.r_c - 0.06
    w = np.clip((r - lo) / (hi - lo), 0, 1)
    w = w * w * (3 - 2 * w)
    return g.h_abd + (g.h_c - g.h_abd) * w


def reach_loss_mm(upper_m: float, fore_m: float, elbow_deg: float) -> float:
    """How much nearer the hand a bent elbow brings the shoulder, vs straight."""
    phi = math.radians(elbow_deg)
    bent = math.sqrt(upper_m ** 2 + fore_m ** 2 - 2 * upper_m * fore_m * math.cos(phi))
    return (upper_m + fore_m - bent) * 1000.0
