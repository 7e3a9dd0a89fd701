"""Writes of the demo data: seed, reset, demo logins.

The generator's plan is inserted with plain multi-row inserts inside one transaction (see
``_insert``). Like ``bulk_create`` this bypasses ``simple_history``; each record then gets its
creation history entry (``+``, reason ``DEMO_HISTORY_REASON``) from one ``INSERT … SELECT`` per table
(``core.history.insert_creation_history``), so that the first edit of a demo record shows old → new.
Every generated Unit, Achievement, Transferee and Transformation has ``synthetic=True`` (their
history rows too, so ``demo_reset`` removes them).
"""

import io
import time
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import user_create_staff, user_create_unit_user
from core import registry
from core.history import insert_creation_history

from ..models import Achievement, Cluster, Transferee, Transformation, Unit
from .generator import DEFAULT_SEED, build_plan, digest_rows, unit_codes

INSERT_CHUNK = 1000
SYNTHETIC_MODELS = (Unit, Achievement, Transferee, Transformation)
DEMO_HISTORY_REASON = "演示数据生成"  # the history reason of every generated record (data, not translated)


class DemoDataError(Exception):
    """The demo data cannot be written or removed as asked; the message says why."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str  # "superuser", "staff" or "unit"
    unit_name: str = ""


# The demo logins: fixed, documented passwords for a demonstration database only.
DEMO_LOGINS = (
    DemoLogin("admin", "admin-demo-2024", "superuser"),
    DemoLogin("staff", "staff-demo-2024", "staff"),
    DemoLogin("unit", "unit-demo-2024", "unit", "大连理工大学"),
)


@dataclass
class SeedResult:
    seed: int
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


def synthetic_counts() -> dict[str, int]:
    return {model.__name__: model.objects.filter(synthetic=True).count() for model in SYNTHETIC_MODELS}


def seeded_with(seed: int) -> bool | None:
    """``None`` when there is no synthetic data, else whether it came from ``seed``."""
    existing = set(Unit.objects.filter(synthetic=True).values_list("code", flat=True))
    if not existing:
        return None
    return existing == set(unit_codes(seed))


def demo_seed(*, seed: int = DEFAULT_SEED, reset: bool = False, logins: bool = True) -> SeedResult:
    """Generate the demo data for ``seed`` unless it is already there (idempotent)."""
    started = time.monotonic()
    if reset:
        demo_reset()
    state = seeded_with(seed)
    if state is False:
        raise DemoDataError(
            _("数据库中已有其他种子生成的演示数据；如需重新生成，请使用 --reset。(seed=%(seed)s)")
            % {"seed": seed}
        )
    created = state is None
    if created:
        _write_plan(seed)
    counts = synthetic_counts()
    for seeder in registry.demo_seeders():  # the other apps' demo data (pilot bases, reports, ...)
        counts.update(seeder.seed(seed))
    result = SeedResult(seed=seed, created=created, counts=counts)
    if logins:
        result.logins = demo_logins_ensure()
    result.seconds = time.monotonic() - started
    return result


def _in_chunks(values, size=5000):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _next_id(model) -> int:
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert plain rows fast: one ``executemany`` (SQLite) or multi-row ``INSERT`` statements.

    ``bulk_create`` prepares every value of every field in Python and SQLite limits it to a few dozen
    rows per statement; for ~130,000 generated rows that costs tens of seconds. The rows here are
    valid by construction, carry their primary keys, and only dates need adapting to the backend.
    """
    opts = model._meta
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    extra = {"synthetic": True, "created_at": now, "updated_at": now}
    if any(f.name == "version" for f in opts.concrete_fields):
        extra["version"] = 1
    columns = [opts.get_field(name).column for name in [*fields, *extra]]
    dates = [i for i, name in enumerate(fields) if isinstance(opts.get_field(name), models.DateField)]
    adapt = connection.ops.adapt_datefield_value
    tail = tuple(extra.values())
    prepared = []
    for row in rows:
        row = list(row)
        for i in dates:
            row[i] = adapt(row[i])
        prepared.append((*row, *tail))
    quote = connection.ops.quote_name
    table = f"{quote(opts.db_table)} ({', '.join(quote(c) for c in columns)})"
    head = f"INSERT INTO {table} VALUES "
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(head + placeholders, prepared)
        elif hasattr(cursor.cursor, "copy_expert"):  # PostgreSQL through psycopg2: COPY is fastest
            cursor.cursor.copy_expert(f"COPY {table} FROM STDIN", _copy_text(prepared))
        else:
            for start in range(0, len(prepared), INSERT_CHUNK):
                chunk = prepared[start : start + INSERT_CHUNK]
                cursor.execute(head + ", ".join([placeholders] * len(chunk)), [v for r in chunk for v in r])
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_text(rows) -> io.StringIO:
    """Rows in PostgreSQL's COPY text format (tab-separated, ``\\N`` for NULL)."""
    return io.StringIO("".join("\t".join(_copy_value(v) for v in row) + "\n" for row in rows))


@transaction.atomic
def _write_plan(seed: int) -> None:
    plan = build_plan(seed)
    taken = [
        code
        for model, rows in ((Unit, plan.units), (Transferee, plan.transferees))
        for chunk in _in_chunks(r.code for r in rows)
        for code in model.objects.filter(code__in=chunk).values_list("code", flat=True)
    ]
    if taken:
        raise DemoDataError(
            _("演示数据的统一社会信用代码与已有记录重复：%(codes)s") % {"codes": ", ".join(taken[:5])}
        )
    clusters = dict(Cluster.objects.values_list("code", "id"))
    unit_id = _next_id(Unit)
    achievement_id = _next_id(Achievement)
    transferee_id = _next_id(Transferee)
    transformation_id = _next_id(Transformation)

    _insert(
        Unit,
        ["id", "code", "name", "type", "region"],
        [(unit_id + i, u.code, u.name, u.type, u.region) for i, u in enumerate(plan.units)],
    )
    _insert(
        Achievement,
        [
            "id",
            "unit",
            "ref",
            "title",
            "keywords",
            "ip_type",
            "patent_no",
            "trl",
            "cluster",
            "funded",
            "convertible",
            "registered_on",
            "ip_granted_on",
            "status",
            "withdrawn_on",
        ],
        [
            (
                achievement_id + i,
                unit_id + a.unit,
                a.ref,
                a.title,
                a.keywords,
                a.ip_type,
                a.patent_no,
                a.trl,
                clusters.get(a.cluster),
                a.funded,
                a.convertible,
                a.registered_on,
                a.ip_granted_on,
                a.status,
                a.withdrawn_on,
            )
            for i, a in enumerate(plan.achievements)
        ],
    )
    _insert(
        Transferee,
        ["id", "code", "name", "region"],
        [(transferee_id + i, t.code, t.name, t.region) for i, t in enumerate(plan.transferees)],
    )
    _insert(
        Transformation,
        [
            "id",
            "unit",
            "achievement",
            "ref",
            "mode",
            "transferee",
            "signed_on",
            "amount",
            "received",
            "status",
            "registration_no",
        ],
        [
            (
                transformation_id + i,
                unit_id + c.unit,
                achievement_id + c.achievement,
                c.ref,
                c.mode,
                transferee_id + c.transferee,
                c.signed_on,
                c.amount,
                c.received,
                c.status,
                c.registration_no,
            )
            for i, c in enumerate(plan.transformations)
        ],
    )
    for model, first, count in (
        (Unit, unit_id, len(plan.units)),
        (Achievement, achievement_id, len(plan.achievements)),
        (Transferee, transferee_id, len(plan.transferees)),
        (Transformation, transformation_id, len(plan.transformations)),
    ):
        if count:
            insert_creation_history(
                model, first_id=first, last_id=first + count - 1, reason=DEMO_HISTORY_REASON
            )


def _demo_user(login: DemoLogin) -> User | None:
    """The demo login's user if it exists and still has the demo password (else it is not ours)."""
    user = User.objects.filter(username=login.username).select_related("unit").first()
    if user is None or not user.check_password(login.password):
        return None
    return user


def demo_logins_ensure() -> list[DemoLogin]:
    """Create the demo logins that do not exist yet (through the account services)."""
    created = []
    for login in DEMO_LOGINS:
        if User.objects.filter(username=login.username).exists():
            continue
        if login.role == "unit":
            unit = Unit.objects.filter(synthetic=True, name=login.unit_name).first()
            if unit is None:
                continue
            user_create_unit_user(username=login.username, password=login.password, unit=unit)
        else:
            user_create_staff(
                username=login.username, password=login.password, superuser=login.role == "superuser"
            )
        created.append(login.username)
    if len(created) == len(DEMO_LOGINS):
        return list(DEMO_LOGINS)  # all just created: no need to check the passwords again
    return demo_logins()


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist and still use their demo password."""
    found = []
    for login in DEMO_LOGINS:
        user = _demo_user(login)
        if user is not None:
            found.append(
                DemoLogin(login.username, login.password, login.role, user.unit.name if user.unit else "")
            )
    return found


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete every synthetic record and the demo logins (those still using the demo password).

    Deleting tens of thousands of rows one by one through signals would take minutes, so the rows
    are deleted with one statement per table (no per-object history entries, which is what a reset
    of generated data wants); their history rows, if any were made by later edits, go too.
    """
    counts = synthetic_counts()
    for seeder in reversed(registry.demo_seeders()):  # the other apps' rows refer to the registry's
        seeder.reset()
    for login in DEMO_LOGINS:
        user = _demo_user(login)
        if user is not None:
            user.delete()
    blocking = list(User.objects.filter(unit__synthetic=True).values_list("username", flat=True)[:5])
    if blocking:
        raise DemoDataError(
            _("以下用户属于演示单位，请先删除或改为其他单位：%(users)s") % {"users": ", ".join(blocking)}
        )
    if Transformation.objects.filter(synthetic=False, achievement__synthetic=True).exists() or (
        Transformation.objects.filter(synthetic=False, transferee__synthetic=True).exists()
    ):
        raise DemoDataError(_("有非演示的转化合同引用了演示数据，无法重置。"))
    try:
        with transaction.atomic():
            for model in reversed(SYNTHETIC_MODELS):  # contracts first, units last
                queryset = model.objects.filter(synthetic=True)
                queryset._raw_delete(queryset.db)
                history = model.history.model.objects.filter(synthetic=True)
                history._raw_delete(history.db)
    except IntegrityError as exc:
        raise DemoDataError(_("其他记录引用了演示数据，无法重置：%(error)s") % {"error": exc}) from exc
    return counts


def demo_digest() -> str:
    """The fingerprint of the synthetic data in the database (same as ``Plan.digest()``)."""
    unit_code = dict(Unit.objects.filter(synthetic=True).values_list("id", "code"))
    achievements = Achievement.objects.filter(synthetic=True)
    ach_ref = dict(achievements.values_list("id", "ref"))
    transferee_code = dict(Transferee.objects.filter(synthetic=True).values_list("id", "code"))
    return digest_rows(
        units=Unit.objects.filter(synthetic=True).values_list("code", "name", "type", "region"),
        achievements=[
            (
                unit_code[unit_id],
                ref,
                title,
                ip_type,
                patent_no,
                trl,
                convertible,
                registered_on.isoformat(),
                withdrawn_on.isoformat() if withdrawn_on else "",
            )
            for unit_id, ref, title, ip_type, patent_no, trl, convertible, registered_on, withdrawn_on in achievements.values_list(
                "unit_id",
                "ref",
                "title",
                "ip_type",
                "patent_no",
                "trl",
                "convertible",
                "registered_on",
                "withdrawn_on",
            )
        ],
        transferees=Transferee.objects.filter(synthetic=True).values_list("code", "name", "region"),
        transformations=[
            (
                unit_code[unit_id],
                ref,
                ach_ref[achievement_id],
                transferee_code[transferee_id],
                mode,
                signed_on.isoformat(),
                str(amount),
                "" if received is None else str(received),
                status,
            )
            for unit_id, ref, achievement_id, transferee_id, mode, signed_on, amount, received, status in Transformation.objects.filter(
                synthetic=True
            ).values_list(
                "unit_id",
                "ref",
                "achievement_id",
                "transferee_id",
                "mode",
                "signed_on",
                "amount",
                "received",
                "status",
            )
        ],
    )
