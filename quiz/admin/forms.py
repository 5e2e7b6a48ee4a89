"""Back-office forms: sign-in, password, lead filters, status, notes, clinics, users."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from quiz.conversions import CONVERSION_STATUSES, PLATFORMS
from quiz.i18n import translate
from quiz.limits import MAX_LENGTH
from quiz.models import CONTACT_TIMINGS, DEFAULT_FOLLOW_UP_HOURS, LEAD_STATUSES, LOST_REASONS
from quiz.queries import LOST_REASON_LABELS, SORTS, SUITABILITY_ORDER
from quiz.services.clinics import ClinicFields
from quiz.validation import CLICK_IDS, storage_problem


def choices(pairs) -> list:
    """Turn (value, label) pairs into select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class AdminForm(FlaskForm):
    """A back-office form whose text fields refuse what no database can store."""

    def validate(self, extra_validators=None) -> bool:
        """Run the fields' own checks, then refuse text holding a NUL or a lone surrogate."""
        valid = super().validate(extra_validators)
        # Every field, not only those written: a NUL in a search or a sign-in address makes
        # PostgreSQL refuse the query itself.
        for field in self:
            if isinstance(field, StringField) and isinstance(field.data, str):
                problem = storage_problem(field.data)
                if problem is not None:
                    field.errors = [*field.errors, translate(problem)]
                    valid = False
        return valid


class LoginForm(AdminForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class PasswordForm(AdminForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two differ."))]
    )
    submit = SubmitField(_l("Change password"))


class ForgotForm(AdminForm):
    """Ask for a link to choose a new password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Mail me a link"))


class ChoosePasswordForm(AdminForm):
    """Choose a password from an invitation or reset link."""

    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two differ."))]
    )
    submit = SubmitField(_l("Set password"))


# When the contact form is shown, as the clinic form offers it.
TIMING_LABELS = {"after": _l("after the result"), "before": _l("before the result")}


STATUS_LABELS = {
    "new": _l("New"),
    "contacted": _l("Contacted"),
    "booked": _l("Booked"),
    "won": _l("Won"),
    "lost": _l("Lost"),
}
SUITABILITY_LABELS = {
    "good": _l("Good"),
    "possible": _l("Possible"),
    "consult": _l("Consult first"),
    "not_suitable": _l("Not suitable"),
}
LABELS = {**STATUS_LABELS, **SUITABILITY_LABELS}


def label_of(code: str | None) -> str:
    """Return the interface's word for a stored status or suitability code."""
    return LABELS.get(code or "", code or "")


def _any(label, values) -> list:
    return choices([("", label), *((v, label_of(v)) for v in values)])


def _reasons(first) -> list:
    """Why a lead was lost, as select choices after `first` (the empty choice)."""
    return choices([first, *((r, _l(LOST_REASON_LABELS[r].msgid)) for r in LOST_REASONS)])


ASSIGNED_CHOICES = (("", _l("Anyone")), ("me", _l("Assigned to me")), ("none", _l("Unassigned")))
VIEW_CHOICES = (
    ("person", _l("One row per person (without other filters)")),
    ("all", _l("Every lead")),
)


class LeadFilterForm(AdminForm):
    """The lead list's filters, read from the query string (a GET form, no CSRF token).

    Every select defaults to "" (any), so a filter left out of the URL is valid, not a
    choice the form refuses.
    """

    class Meta:
        csrf = False

    clinic = SelectField(_l("Clinic"), choices=choices([("", _l("All clinics"))]), default="")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    suitability = SelectField(
        _l("Suitability"), choices=_any(_l("Any"), SUITABILITY_ORDER), default=""
    )
    outcome = SelectField(_l("Outcome"), choices=choices([("", _l("Any"))]), default="")
    status = SelectField(_l("Status"), choices=_any(_l("Any"), LEAD_STATUSES), default="")
    lost_reason = SelectField(_l("Lost because"), choices=_reasons(("", _l("Any"))), default="")
    assigned = SelectField(_l("Assigned"), choices=choices(ASSIGNED_CHOICES), default="")
    view = SelectField(_l("Show"), choices=choices(VIEW_CHOICES), default="person")
    utm_source = StringField(_l("UTM source"), validators=[Optional(), Length(max=200)])
    utm_campaign = StringField(_l("UTM campaign"), validators=[Optional(), Length(max=200)])
    click_id = SelectField(
        _l("Ad click"),
        choices=choices(
            [
                ("", _l("Any")),
                ("consent", _l("Ad consent given")),
                ("none", _l("No ad consent")),
                *((key, key) for key in CLICK_IDS),
            ]
        ),
        default="",
    )
    q = SearchField(_l("Search name, email, phone"), validators=[Optional(), Length(max=200)])
    sort = SelectField(_l("Sort by"), choices=choices((s, s) for s in SORTS), default="created")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)])

    def validate_date_to(self, field):
        """Refuse a range that ends before it starts."""
        start = self.date_from.data
        if field.data and start and field.data < start:
            raise ValidationError(gettext("The end date is before the start date."))


class AnalyticsFilterForm(AdminForm):
    """Clinic and date range for the analytics page (GET, no CSRF token)."""

    class Meta:
        csrf = False

    clinic = SelectField(_l("Clinic"), choices=choices([("", _l("All clinics"))]), default="")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class StatusForm(AdminForm):
    """Move a lead to another status; "lost" needs a reason (the service checks it)."""

    status = SelectField(_l("Status"), choices=choices((s, label_of(s)) for s in LEAD_STATUSES))
    reason = SelectField(
        _l("If lost: why"), choices=_reasons(("", _l("Choose a reason"))), default=""
    )
    reason_text = StringField(
        _l("Other reason"), validators=[Optional(), Length(max=500)], render_kw={"maxlength": 500}
    )
    submit = SubmitField(_l("Update status"))


class AssignForm(AdminForm):
    """Give a lead to a staff member of its clinic, or to nobody."""

    # The choices are the clinic's staff, set by the view; the service checks the account.
    assignee = SelectField(
        _l("Assigned to"), choices=choices([("", _l("Nobody"))]), validate_choice=False
    )
    submit = SubmitField(_l("Assign"))


class NoteForm(AdminForm):
    """Add a note to a lead."""

    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Add note"))


class ExportForm(AdminForm):
    """Choose an export format; the filters come from the query string."""

    format = SelectField(
        _l("Format"), choices=choices([("csv", "CSV"), ("xlsx", _l("Excel (XLSX)"))])
    )
    submit = SubmitField(_l("Export these leads"))


PLATFORM_LABELS = {"google": "Google Ads", "microsoft": "Microsoft Advertising", "meta": "Meta"}


class ConversionsForm(AdminForm):
    """Download an ad platform's offline conversions of the leads with ad consent."""

    platform = SelectField(
        _l("Ad platform"), choices=choices((p, PLATFORM_LABELS[p]) for p in PLATFORMS)
    )
    status = SelectField(
        _l("Counted when the lead reached"),
        choices=choices((s, label_of(s)) for s in CONVERSION_STATUSES),
        default="booked",
    )
    since = DateField(_l("Converted on or after"), validators=[Optional()])
    clinic = SelectField(_l("Clinic"), choices=choices([("", _l("All clinics"))]), default="")
    submit = SubmitField(_l("Download conversions"))


class HoursField(StringField):
    """A number of hours as text: a stored 24.0 shows (and posts back) as "24"."""

    def process_data(self, value):
        """Keep the stored number as text, so the text checks and the page treat it alike."""
        self.data = f"{value:g}" if isinstance(value, int | float) else value


class ClinicForm(AdminForm):
    """A clinic's editable settings."""

    slug = StringField(_l("Slug (in the embed code)"), validators=[Optional(), Length(max=63)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    origins = TextAreaField(_l("Websites allowed to embed the quiz (one per line)"))
    email = EmailField(_l("Email for new leads"), validators=[Optional(), Length(max=254)])
    booking_url = URLField(
        _l("Booking link (https)"),
        validators=[Optional(), Length(max=MAX_LENGTH["booking_url"])],
    )
    booking_inline = BooleanField(_l("Show the booking page inside the thanks screen"))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    privacy_url = URLField(_l("Privacy notice link"), validators=[Optional(), Length(max=500)])
    language = SelectField(_l("Language"), choices=choices([("en", "en")]))
    contact_timing = SelectField(
        _l("Ask for contact details"),
        choices=choices((t, TIMING_LABELS[t]) for t in CONTACT_TIMINGS),
    )
    webhook_url = URLField(_l("Webhook URL"), validators=[Optional(), Length(max=500)])
    webhook_include_answers = BooleanField(_l("Include the answers in webhooks"))
    notify_url = URLField(
        _l("Chat webhook for new leads (Slack-compatible or Microsoft Teams)"),
        validators=[Optional(), Length(max=500)],
    )
    # Checked by the clinics service (one rule for the form and the command line).
    follow_up_hours = HoursField(
        _l("Follow-up time (hours a new lead may wait for a first contact)"),
        validators=[Length(max=20)],
        default="24",
    )
    working_hours = StringField(
        _l("Working hours, UTC (like 09:00-18:00; empty: the clock never stops)"),
        validators=[Optional(), Length(max=20)],
    )
    # Branding, voice: quiz.branding and the clinic_admin service check them (one rule each),
    # so the fields only cap what a browser may send.
    brand_primary = StringField(_l("Primary colour"), validators=[Length(max=20)])
    brand_on_primary = StringField(_l("Text on primary colour"), validators=[Length(max=20)])
    brand_text = StringField(_l("Text colour"), validators=[Length(max=20)])
    brand_background = StringField(_l("Background colour"), validators=[Length(max=20)])
    brand_font = StringField(_l("Font stack"), validators=[Length(max=300)])
    brand_radius = StringField(_l("Corner radius (pixels, 0 to 24)"), validators=[Length(max=10)])
    brand_logo_url = StringField(
        _l("Logo URL (https:// or /static/…)"), validators=[Length(max=600)]
    )
    intro = TextAreaField(
        _l("Intro text (replaces the quiz's own)"),
        validators=[Length(max=5000)],
        render_kw={"maxlength": 1000, "rows": 4},
    )
    thanks = TextAreaField(
        _l("Thank-you text (replaces the quiz's own)"),
        validators=[Length(max=5000)],
        render_kw={"maxlength": 1000, "rows": 3},
    )
    hidden_content = SelectMultipleField(
        _l("Content this clinic does not offer (hidden from visitors)"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # Offline conversions: quiz.conversions checks them; the fields only cap the length.
    conversion_name = StringField(
        _l("Conversion name (as in the ad platforms)"), validators=[Length(max=200)]
    )
    conversion_value = StringField(_l("Conversion value"), validators=[Length(max=30)])
    conversion_currency = StringField(
        _l("Currency of the value (ISO 4217, like EUR)"), validators=[Length(max=10)]
    )
    submit = SubmitField(_l("Save clinic"))

    def fields(self) -> ClinicFields:
        """Return the clinic's fields as posted, for create_clinic and update_clinic to check."""
        return ClinicFields(
            name=self.name.data,
            origins=tuple(
                line.strip() for line in (self.origins.data or "").splitlines() if line.strip()
            ),
            email=self.email.data,
            phone=self.phone.data,
            booking_url=self.booking_url.data,
            booking_inline=bool(self.booking_inline.data),
            privacy_url=self.privacy_url.data,
            webhook_url=self.webhook_url.data,
            language=self.language.data or None,
            contact_timing=self.contact_timing.data,
            notify_url=self.notify_url.data,
            # Left empty: the default, as for a clinic made on the command line.
            follow_up_hours=(self.follow_up_hours.data or "").strip() or DEFAULT_FOLLOW_UP_HOURS,
            working_hours=self.working_hours.data,
        )


class SecretForm(AdminForm):
    """Generate a new webhook signing secret (a button with a CSRF token)."""

    submit = SubmitField(_l("Generate a new signing secret"))


class NotifyTestForm(AdminForm):
    """Send a test message to the clinic's chat webhook (a button with a CSRF token)."""

    submit = SubmitField(_l("Send a test message"))


class UserForm(AdminForm):
    """A new back-office account, invited by mail to choose its password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=choices([("staff", "staff"), ("admin", "admin")]))
    # The service names an unknown clinic; an admin account may leave it out.
    clinic = SelectField(
        _l("Clinic (staff only)"), choices=choices([("", "—")]), validate_choice=False
    )
    submit = SubmitField(_l("Send invitation"))


class ResetPasswordForm(AdminForm):
    """An administrator sets a new password for an account."""

    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField(_l("Reset password"))


class ActionForm(AdminForm):
    """A button that posts with only a CSRF token (enable, disable)."""

    submit = SubmitField(_l("Go"))


class PersonForm(AdminForm):
    """Find one person's data by address: export it (access) or erase it."""

    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    confirm = BooleanField(_l("Yes, delete every lead of this address. This cannot be undone."))
    export = SubmitField(_l("Download their data (JSON)"))
    erase = SubmitField(_l("Delete every lead of this address"))
