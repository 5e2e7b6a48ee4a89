"""Back-office forms: sign-in, password, lead filters, status, notes, clinics, users."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
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

from quiz.models import CONTACT_TIMINGS, LEAD_STATUSES
from quiz.queries import SORTS, SUITABILITY_ORDER

try:
    from wtforms import SelectChoice
except ImportError:  # WTForms before 3.3 takes plain (value, label) pairs.
    SelectChoice = None  # type: ignore[assignment,misc]


def choices(pairs) -> list:
    """Turn (value, label) pairs into select choices for this WTForms version."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()
    submit = SubmitField("Sign in")


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new", "The two differ.")]
    )
    submit = SubmitField("Change password")


def _any(label: str, values) -> list:
    return choices([("", label), *((v, v.replace("_", " ")) for v in values)])


class LeadFilterForm(FlaskForm):
    """The lead list's filters, read from the query string (a GET form, no CSRF token).

    Every select defaults to "" (any), so a filter left out of the URL is valid, not a
    choice the form refuses.
    """

    class Meta:
        csrf = False

    clinic = SelectField("Clinic", choices=choices([("", "All clinics")]), default="")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    suitability = SelectField("Suitability", choices=_any("Any", SUITABILITY_ORDER), default="")
    outcome = SelectField("Outcome", choices=choices([("", "Any")]), default="")
    status = SelectField("Status", choices=_any("Any", LEAD_STATUSES), default="")
    utm_source = StringField("UTM source", validators=[Optional(), Length(max=200)])
    utm_campaign = StringField("UTM campaign", validators=[Optional(), Length(max=200)])
    q = SearchField("Search name, email, phone", validators=[Optional(), Length(max=200)])
    sort = SelectField("Sort by", choices=choices((s, s) for s in SORTS), default="created")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)])

    def validate_date_to(self, field):
        """Refuse a range that ends before it starts."""
        start = self.date_from.data
        if field.data and start and field.data < start:
            raise ValidationError("The end date is before the start date.")


class AnalyticsFilterForm(FlaskForm):
    """Clinic and date range for the analytics page (GET, no CSRF token)."""

    class Meta:
        csrf = False

    clinic = SelectField("Clinic", choices=choices([("", "All clinics")]), default="")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])


class StatusForm(FlaskForm):
    """Move a lead to another status."""

    status = SelectField("Status", choices=choices((s, s) for s in LEAD_STATUSES))
    submit = SubmitField("Update status")


class NoteForm(FlaskForm):
    """Add a note to a lead."""

    body = TextAreaField("Note", validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField("Add note")


class ExportForm(FlaskForm):
    """Choose an export format; the filters come from the query string."""

    format = SelectField("Format", choices=choices([("csv", "CSV"), ("xlsx", "Excel (XLSX)")]))
    submit = SubmitField("Export these leads")


class ClinicForm(FlaskForm):
    """A clinic's editable settings."""

    slug = StringField("Slug (in the embed code)", validators=[Optional(), Length(max=63)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    origins = TextAreaField("Websites allowed to embed the quiz (one per line)")
    email = EmailField("Email for new leads", validators=[Optional(), Length(max=254)])
    booking_url = URLField("Booking link", validators=[Optional(), Length(max=500)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    privacy_url = URLField("Privacy notice link", validators=[Optional(), Length(max=500)])
    language = SelectField("Language", choices=choices([("en", "en")]))
    contact_timing = SelectField(
        "Ask for contact details",
        choices=choices((t, f"{t} the result") for t in CONTACT_TIMINGS),
    )
    webhook_url = URLField("Webhook URL", validators=[Optional(), Length(max=500)])
    webhook_include_answers = BooleanField("Include the answers in webhooks")
    # Branding, voice: quiz.branding and the clinic_admin service check them (one rule each),
    # so the fields only cap what a browser may send.
    brand_primary = StringField("Primary colour", validators=[Length(max=20)])
    brand_on_primary = StringField("Text on primary colour", validators=[Length(max=20)])
    brand_text = StringField("Text colour", validators=[Length(max=20)])
    brand_background = StringField("Background colour", validators=[Length(max=20)])
    brand_font = StringField("Font stack", validators=[Length(max=300)])
    brand_radius = StringField("Corner radius (pixels, 0 to 24)", validators=[Length(max=10)])
    brand_logo_url = StringField("Logo URL (https:// or /static/…)", validators=[Length(max=600)])
    intro = TextAreaField(
        "Intro text (replaces the quiz's own)",
        validators=[Length(max=5000)],
        render_kw={"maxlength": 1000, "rows": 4},
    )
    thanks = TextAreaField(
        "Thank-you text (replaces the quiz's own)",
        validators=[Length(max=5000)],
        render_kw={"maxlength": 1000, "rows": 3},
    )
    hidden_content = SelectMultipleField(
        "Content this clinic does not offer (hidden from visitors)",
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("Save clinic")


class SecretForm(FlaskForm):
    """Generate a new webhook signing secret (a button with a CSRF token)."""

    submit = SubmitField("Generate a new signing secret")


class UserForm(FlaskForm):
    """A new back-office account."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=choices([("staff", "staff"), ("admin", "admin")]))
    # The service names an unknown clinic; an admin account may leave it out.
    clinic = SelectField("Clinic (staff only)", choices=choices([("", "—")]), validate_choice=False)
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Create account")


class ResetPasswordForm(FlaskForm):
    """An administrator sets a new password for an account."""

    password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Reset password")


class ActionForm(FlaskForm):
    """A button that posts with only a CSRF token (enable, disable)."""

    submit = SubmitField("Go")


class PersonForm(FlaskForm):
    """Find one person's data by address: export it (access) or erase it."""

    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    confirm = BooleanField("Yes, delete every lead of this address. This cannot be undone.")
    export = SubmitField("Download their data (JSON)")
    erase = SubmitField("Delete every lead of this address")
