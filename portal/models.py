import re

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import citizen_id
from portal.office_hours import _blocks

# QCVN 102:2016/BTTTT: LLL.KK.JJ.XNN, read right to left; level 1 is a letter and two digits
# (G = ministries, H = provinces), unused levels are zeros. The other groups take the code
# alphabet of Decision 20/2020/QĐ-TTg Art. 4 (as amended by Decision 09/2025/QĐ-TTg): digits and
# capital letters, e.g. 000.A0.01.H26.
# Anchored: RegexValidator uses search(), so an unanchored pattern accepts any text around it.
AGENCY_CODE_RE = re.compile(r"\A[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}\Z")
# The issuing body's abbreviation in a document's symbol ("15/QĐ-SGDĐT", Decree 30/2020/NĐ-CP
# Art. 15(2) and Appendix I): capital letters, Đ included, digits, and hyphens between parts
# (an agency and its drafting unit, e.g. UBND-VX).
AGENCY_ABBREVIATION_RE = re.compile(r"\A[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*\Z")


def validate_office_hours(value: str) -> None:
    """Office-hour blocks as "HH:MM-HH:MM,HH:MM-HH:MM": each ends after it starts, none
    overlap."""
    try:
        _blocks(tuple(part.strip() for part in value.split(",")))
    except (ValueError, TypeError):
        raise ValidationError(
            _(
                "Write the office hours as blocks like 07:30-11:30,13:00-17:00, in order, none "
                "overlapping."
            ),
            code="office_hours",
        ) from None


class Agency(models.Model):
    class Level(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        # Two-tier local government since 1 July 2025 (Decree 142/2025/NĐ-CP): the province's
        # People's Committee above its departments and its communes and wards.
        PROVINCE_COMMITTEE = "province_committee", _("Provincial People's Committee")
        PROVINCE = "province", _("Provincial department")
        COMMUNE = "commune", _("Commune People's Committee")

    class Kind(models.TextChoices):
        # An agency that resolves procedures (a ministry, a department, a commune committee).
        AGENCY = "agency", _("Agency that resolves procedures")
        # A Public Administration Service Centre (Decree 118/2025/NĐ-CP): it receives dossiers
        # for the agencies it serves and returns their results, and resolves nothing itself.
        SERVICE_CENTRE = "service_centre", _("Public Administration Service Centre")

    # Who may stand directly above whom. A ministry and a province's People's Committee stand
    # at the top (the ministry apart from local government); a department and a commune stand
    # under their province's committee; a service centre under a People's Committee (the
    # province's or the commune's), or alone.
    PARENT_LEVELS = {
        Level.PROVINCE: (Level.PROVINCE_COMMITTEE,),
        Level.COMMUNE: (Level.PROVINCE_COMMITTEE,),
    }
    CENTRE_PARENT_LEVELS = (Level.PROVINCE_COMMITTEE, Level.COMMUNE)
    # People's Committees and ministries head their papers alone (Decree 30/2020/NĐ-CP,
    # Appendix I: no governing body above them).
    HEADS_ALONE = (Level.MINISTRY, Level.PROVINCE_COMMITTEE, Level.COMMUNE)

    code = models.CharField(
        _("agency code"),
        max_length=35,
        unique=True,
        validators=[
            RegexValidator(
                AGENCY_CODE_RE,
                _("Use the QCVN 102:2016 form LLL.KK.JJ.XNN, for example 000.00.00.G03."),
            )
        ],
        help_text=_("QCVN 102:2016 code, for example 000.00.00.G03"),
    )
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    abbreviation = models.CharField(
        _("abbreviation in document symbols"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                AGENCY_ABBREVIATION_RE,
                _("Use capital letters (Đ included) and digits, for example SGDĐT or UBND."),
            )
        ],
        help_text=_(
            "As in the symbol of the agency's documents, e.g. SGDĐT in 15/QĐ-SGDĐT. Empty: "
            "the agency code without its dots."
        ),
    )
    level = models.CharField(_("level"), max_length=24, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.AGENCY)
    # Where this agency's dossiers are received and its results returned, when a centre does
    # it (liên thông: the centre hands each dossier over and gets the result back).
    service_centre = models.ForeignKey(
        "self",
        verbose_name=_("receiving service centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="served_agencies",
        limit_choices_to={"kind": "service_centre"},
        help_text=_(
            "The Public Administration Service Centre that receives this agency's dossiers "
            "and returns its results, if one does."
        ),
    )

    class Counting(models.TextChoices):
        WHOLE_DAYS = "whole_days", _("Whole working days, from the day after receipt")
        WORKING_HOURS = "working_hours", _("Working hours from receipt (8 per working day)")

    deadline_counting = models.CharField(
        _("counting of working days"),
        max_length=16,
        choices=Counting.choices,
        blank=True,
        help_text=_("Empty: the portal's setting (whole working days unless configured)."),
    )
    office_hours = models.CharField(
        _("office hours"),
        max_length=64,
        blank=True,
        validators=[validate_office_hours],
        help_text=_(
            "Blocks of a working day, as 07:30-11:30,13:00-17:00 (change them when the province "
            "moves to its summer hours). Empty: the portal's setting."
        ),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # What its papers need (Decree 30/2020/NĐ-CP Appendix I; Decree 123/2020/NĐ-CP Art. 32).
    place_name = models.CharField(
        _("place name on papers"),
        max_length=64,
        blank=True,
        help_text=_(
            "The place before the date on the agency's papers (địa danh), e.g. Hà Nội, or Ba Đình "
            "for a ward. Empty: Hà Nội."
        ),
    )
    head_title = models.CharField(
        _("title of the head"),
        max_length=64,
        blank=True,
        help_text=_(
            "The head's title in the signature block (Giám đốc, Chủ tịch, Bộ trưởng). Empty: the "
            "usual title for the agency's level."
        ),
    )
    head_name = models.CharField(
        _("name of the head"),
        max_length=150,
        blank=True,
        help_text=_("Signs the papers the head signs (Mẫu 04, the apology and new date)."),
    )
    tax_code = models.CharField(
        _("tax code"),
        max_length=14,
        blank=True,
        help_text=_("Printed on the electronic fee receipts the agency issues."),
    )
    # Decree 30/2020 Art. 5: a result signed by the competent person and by the organisation.
    requires_personal_signature = models.BooleanField(
        _("results need the leader's personal signature"),
        default=False,
        help_text=_(
            "A leader may approve a result only with an active personal signing certificate; "
            "the result is signed by the leader, then by the agency."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def symbol_abbreviation(self) -> str:
        """The abbreviation in the symbol of the agency's numbered documents; without one, the
        code without its dots (000.00.12.H26 → 0000012H26): unique, if unlovely, so a number
        is never held up for want of an abbreviation."""
        return self.abbreviation or self.code.replace(".", "")

    @property
    def is_service_centre(self) -> bool:
        return self.kind == self.Kind.SERVICE_CENTRE

    def clean(self):
        if self.tax_code:
            from stdnum import exceptions as stdnum_errors
            from stdnum.vn import mst

            try:
                self.tax_code = mst.compact(self.tax_code)
                mst.validate(self.tax_code)
            except stdnum_errors.ValidationError:
                raise ValidationError(
                    {"tax_code": _("Enter the tax code of 10 digits (13 for a branch).")}
                ) from None
        if self.is_service_centre and self.service_centre_id is not None:
            raise ValidationError(
                {"service_centre": _("A service centre receives its dossiers itself.")}
            )
        if self.service_centre_id is not None and not self.service_centre.is_service_centre:
            raise ValidationError(
                {"service_centre": _("Choose a Public Administration Service Centre.")}
            )
        if self.parent_id is None:
            if self.level in self.PARENT_LEVELS and not self.is_service_centre:
                raise ValidationError(
                    {
                        "parent": _(
                            "A department or a commune stands under its province's People's "
                            "Committee: choose it."
                        )
                    }
                )
            return
        if self.parent_id == self.pk or (self.pk and self.pk in self.parent.ancestor_ids()):
            raise ValidationError({"parent": _("An agency cannot be placed under itself.")})
        allowed = (
            self.CENTRE_PARENT_LEVELS
            if self.is_service_centre
            else self.PARENT_LEVELS.get(self.level, ())
        )
        if self.parent.level not in allowed:
            raise ValidationError(
                {
                    "parent": _(
                        "A ministry or a province's People's Committee stands at the top; a "
                        "department or a commune under its province's People's Committee; a "
                        "service centre under a People's Committee."
                    )
                }
            )

    # The head's usual title by level (the signature block's wording when head_title is empty).
    HEAD_TITLES = {
        "ministry": "Bộ trưởng",
        "province_committee": "Chủ tịch",
        "province": "Giám đốc",
        "commune": "Chủ tịch",
    }

    @property
    def head_title_or_default(self) -> str:
        if self.head_title:
            return self.head_title
        if self.is_service_centre:
            return "Giám đốc"
        return self.HEAD_TITLES.get(self.level, "Thủ trưởng cơ quan")

    @property
    def competent_authority(self) -> str:
        """A decision's issuing authority line: "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"."""
        return f"{self.head_title_or_default} {self.name}".upper()

    @property
    def place(self) -> str:
        return self.place_name or "Hà Nội"

    @property
    def governing_body(self) -> str:
        """The governing body's name on the agency's papers (tên cơ quan chủ quản, Decree
        30/2020/NĐ-CP Appendix I): the People's Committee above a department or a service centre;
        none above a ministry or a People's Committee (nor above an agency still filed under a
        body that does not govern it, e.g. a department under the ministry of its sector)."""
        if self.level in self.HEADS_ALONE and not self.is_service_centre:
            return ""
        parent = self.parent
        if parent is None or parent.level not in (
            self.Level.PROVINCE_COMMITTEE,
            self.Level.COMMUNE,
        ):
            return ""
        return parent.name

    @property
    def province_id(self) -> int | None:
        """The People's Committee of the agency's province (itself, if it is one), whose local
        calendar days apply to it; None outside local government (a ministry)."""
        node, seen = self, set()
        while node is not None and node.pk not in seen:
            if node.level == self.Level.PROVINCE_COMMITTEE:
                return node.pk
            seen.add(node.pk)
            node = node.parent
        return None

    def ancestor_ids(self) -> list[int]:
        ids, node = [], self.parent
        while node is not None and node.pk not in ids:  # stop at a cycle instead of looping
            ids.append(node.pk)
            node = node.parent
        return ids

    def descendant_ids(self) -> set[int]:
        """Every agency below this one (the tree is at most three levels deep)."""
        found, frontier = set(), {self.pk}
        while frontier:
            frontier = (
                set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
                - found
            )
            found |= frontier
        return found


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: citizens (no agency) and staff (one agency, one or more roles)."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(
        _("phone"),
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(
                r"\A(\+84|0)[0-9]{9,10}\Z",
                _("Enter a Vietnamese phone number, for example 0912345678 or +84912345678."),
            )
        ],
    )
    # NULL, not "", when absent: uniqueness applies only to numbers actually given.
    citizen_id = models.CharField(  # noqa: DJ001
        _("citizen ID number"),
        max_length=12,
        null=True,
        blank=True,
        validators=[citizen_id.validate_citizen_id],
        help_text=_("12 digits, as on the chip-based citizen identity card (CCCD)"),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    language = models.CharField(
        _("language"), max_length=8, default="vi", choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Staff only: the agency this officer works for"),
    )
    position = models.CharField(
        _("position"),
        max_length=100,
        blank=True,
        help_text=_("Staff only: the position printed under a signature, e.g. Phó Giám đốc."),
    )
    signing_authority = models.CharField(
        _("signs as"),
        max_length=8,
        blank=True,
        choices=[
            ("head", _("the head of the agency")),
            ("kt", _("deputy, on behalf of the head (KT.)")),
            ("tl", _("by order of the head (TL.)")),
        ],
        help_text=_(
            "How a leader signs the agency's results: the signing authority's wording over the "
            "signature (Decree 30/2020/NĐ-CP Appendix I)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"),
        default=False,
        help_text=_("Whether the user can log into the Django admin site"),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Sign-in with the national electronic identity (VNeID, portal/eid/): the provider's stable
    # subject of this person, the level of assurance of the last such sign-in, and when. An
    # account is tied to one subject once its owner proved it (a new account, or a password
    # account whose password was typed after the eID return).
    eid_subject = models.CharField(  # noqa: DJ001 - NULL when absent: unique only when given
        _("national eID subject"), max_length=255, null=True, blank=True, editable=False
    )
    eid_level = models.CharField(_("eID level of assurance"), max_length=32, blank=True)
    eid_verified_at = models.DateTimeField(_("last eID sign-in"), null=True, blank=True)
    # A password account files once its email address is confirmed (it is made by the link sent
    # there) and its phone number, if it gave one, by a code sent to it (portal.registration).
    email_confirmed_at = models.DateTimeField(_("email confirmed"), null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(_("phone confirmed"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["citizen_id"],
                condition=models.Q(citizen_id__isnull=False),
                name="user_citizen_id_unique",
            ),
            models.UniqueConstraint(
                fields=["eid_subject"],
                condition=models.Q(eid_subject__isnull=False),
                name="user_eid_subject_unique",
            ),
        ]

    def save(self, *args, **kwargs):
        # A new password ends the account's API token (portal.sessions).
        changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if changed:
            from portal.sessions import revoke_tokens

            revoke_tokens(self)

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.citizen_id = (self.citizen_id or "").strip() or None
        if self.citizen_id:
            errors = citizen_id.check_consistent(
                self.citizen_id, date_of_birth=self.date_of_birth, gender=self.gender or None
            )
            if errors:
                raise ValidationError({"citizen_id": errors})

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split()[-1] if self.full_name else self.email

    @property
    def is_staff_account(self) -> bool:
        """Staff of an agency or of the site: they keep their own sign-in (never the citizens'
        national eID, and never refused by PASSWORD_LOGIN_CITIZENS)."""
        return self.agency_id is not None or self.is_staff or self.is_superuser

    @property
    def is_officer(self) -> bool:
        return self.agency_id is not None and bool(self.role_names)

    @property
    def role_names(self) -> frozenset[str]:
        cached = getattr(self, "_role_names", None)
        if cached is None:
            roles = self.roles.values_list("role", flat=True) if self.pk else ()
            cached = frozenset(roles)
            self._role_names = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names & set(roles))


class StaffRole(models.Model):
    """One role of an officer in the agency the officer belongs to."""

    class Role(models.TextChoices):
        DESK = "desk", _("Desk officer")
        SPECIALIST = "specialist", _("Specialist")
        LEADER = "leader", _("Leader")
        AGENCY_ADMIN = "agency_admin", _("Agency administrator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="staffrole_user_role_unique")
        ]

    def __str__(self):
        return f"{self.user.email}: {self.get_role_display()}"

    def clean(self):
        if self.user_id and self.user.agency_id is None:
            raise ValidationError(_("Only a user who belongs to an agency can hold a staff role."))


class CalendarDay(models.Model):
    """A day of the work calendar that is not an ordinary weekday or weekend: a day off, or a
    weekend day worked in exchange (e.g. 2026: Friday 2/1 off, Saturday 10/1 worked).

    National days (no province) come from the reviewed year files in portal/calendar/ (loaded by
    `load_calendar`) and are changed by superusers only; a province's People's Committee may add
    local days, which apply to its own agencies only. A day shipped unconfirmed (its legal basis
    not yet found) counts only once a superuser confirms it."""

    class Kind(models.TextChoices):
        DAY_OFF = "off", _("Day off")
        WORKING_DAY = "work", _("Working day")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=255)
    province = models.ForeignKey(
        Agency,
        verbose_name=_("province (local day)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_days",
        limit_choices_to={"level": "province_committee"},
        help_text=_("Empty: a national day. A province's day applies to its agencies only."),
    )
    source = models.CharField(_("legal basis"), max_length=500, blank=True)
    confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_("A day whose legal basis is not yet confirmed does not count until it is."),
    )
    # Loaded from a reviewed year file (portal.calendar_files): a new load replaces these and
    # keeps the days a superuser added.
    from_file = models.BooleanField(_("from the reviewed file"), default=False, editable=False)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("work calendar")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(province__isnull=True), name="calendar_national"
            ),
            models.UniqueConstraint(
                fields=["date", "province"],
                condition=models.Q(province__isnull=False),
                name="calendar_local",
            ),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}: {self.name}"


class CalendarYear(models.Model):
    """A year whose national days off are the reviewed file's (portal/calendar/YYYY.json), not
    the `holidays` package's guess."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    reviewed = models.DateField(_("reviewed on"))
    sources = models.JSONField(_("sources"), default=dict)
    loaded_at = models.DateTimeField(_("loaded"), auto_now=True)

    class Meta:
        verbose_name = _("reviewed calendar year")
        verbose_name_plural = _("reviewed calendar years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class StaffSecurityEvent(models.Model):
    """The audit trail of the staff's second factor: who did what to whose sign-in, and when.
    Written by portal.second_factor only; read only in the admin."""

    class Action(models.TextChoices):
        ENROLLED = "enrolled", _("Authenticator app set up")
        RESET = "reset", _("Second factor reset by an administrator")
        RECOVERY_USED = "recovery_used", _("Recovery code used")
        RECOVERY_RENEWED = "recovery_renewed", _("Recovery codes renewed")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # Kept when an account is deleted: the trail outlives the accounts it names.
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="security_actions",
    )
    subject = models.ForeignKey(
        User,
        verbose_name=_("staff member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    subject_email = models.EmailField(_("staff member's email"), editable=False)
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)

    class Meta:
        verbose_name = _("staff security event")
        verbose_name_plural = _("staff security events")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.subject_email}: {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.subject is not None and not self.subject_email:
            self.subject_email = self.subject.email
        super().save(*args, **kwargs)


class PendingRegistration(models.Model):
    """A registration waiting for its email address to be confirmed (portal.registration): the
    account is made from it when the link sent to that address is opened, so that the form
    answers the same whether or not the address or the citizen ID number has an account. Rows
    older than REGISTRATION_LINK_HOURS are deleted by the next registration."""

    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    citizen_id = models.CharField(  # noqa: DJ001 - as on User: NULL when absent
        _("citizen ID number"), max_length=12, null=True, blank=True
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, blank=True)
    password = models.CharField(_("password"), max_length=128)  # the hash, as on User
    language = models.CharField(_("language"), max_length=8, default="vi")
    next_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pending registration")
        verbose_name_plural = _("pending registrations")
        indexes = [models.Index(Lower("email"), name="pendingregistration_email")]

    def __str__(self):
        return self.email
