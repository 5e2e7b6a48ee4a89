"""The fixed wording of mails in each language the questionnaire offers (English fallback)."""

from __future__ import annotations

# The subjects name the clinic, never the visitor: a header is the one place where text the
# visitor typed could be read as an instruction to the mail software instead of as text.

# Mails with a link to choose a password: they name no clinic in the subject either, and hold
# nothing but the link (the account's own address is the recipient).
ACCOUNT_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "invite_subject": "Your invitation to the skin assessment back office",
        "invite_intro": (
            "You are invited to the back office of the skin assessment, where {clinic}'s "
            "enquiries are followed up. Choose your password to sign in:"
        ),
        "reset_subject": "Reset your password for the skin assessment back office",
        "reset_intro": (
            "Someone asked to reset the password of your back-office account. "
            "To choose a new password, open this link:"
        ),
        "link_rules": "The link works once, for {hours} hours.",
        "invite_ignore": "If you did not expect this invitation, ignore this mail.",
        "reset_ignore": (
            "If you did not ask for this, ignore this mail: your password stays as it is."
        ),
        "every_clinic": "every clinic",
    },
    "de": {
        "invite_subject": "Ihre Einladung in das Backoffice der Hautanalyse",
        "invite_intro": (
            "Sie sind in das Backoffice der Hautanalyse eingeladen, in dem die Anfragen von "
            "{clinic} bearbeitet werden. Wählen Sie Ihr Passwort, um sich anzumelden:"
        ),
        "reset_subject": "Passwort für das Backoffice der Hautanalyse zurücksetzen",
        "reset_intro": (
            "Jemand hat angefordert, das Passwort Ihres Backoffice-Kontos zurückzusetzen. "
            "Um ein neues Passwort zu wählen, öffnen Sie diesen Link:"
        ),
        "link_rules": "Der Link funktioniert einmal und {hours} Stunden lang.",
        "invite_ignore": (
            "Wenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese E-Mail."
        ),
        "reset_ignore": (
            "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: "
            "Ihr Passwort bleibt unverändert."
        ),
        "every_clinic": "allen Praxen",
    },
    "es": {
        "invite_subject": "Su invitación al back office de la evaluación de la piel",
        "invite_intro": (
            "Le han invitado al back office de la evaluación de la piel, donde se atienden "
            "las consultas de {clinic}. Elija su contraseña para iniciar sesión:"
        ),
        "reset_subject": "Restablecer su contraseña del back office de la evaluación de la piel",
        "reset_intro": (
            "Alguien pidió restablecer la contraseña de su cuenta del back office. "
            "Para elegir una contraseña nueva, abra este enlace:"
        ),
        "link_rules": "El enlace funciona una sola vez, durante {hours} horas.",
        "invite_ignore": "Si no esperaba esta invitación, ignore este correo.",
        "reset_ignore": (
            "Si no lo pidió usted, ignore este correo: su contraseña sigue siendo la misma."
        ),
        "every_clinic": "todas las clínicas",
    },
}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "clinic_subject": "New enquiry from the {clinic} skin assessment",
        "clinic_intro": "A new enquiry came in through the skin assessment on your website.",
        "name": "Name",
        "email": "Email",
        "phone": "Phone",
        "contact_time": "Best time to call",
        "assessment": "Assessment",
        "top_concern": "Main concern",
        "open_lead": "See the full assessment in the back office",
        "no_answers": (
            "The visitor's health answers are kept in the back office only "
            "and are not sent by email."
        ),
        "marketing": "They also agreed to receive marketing messages.",
        "visitor_subject": "Your skin assessment result from {clinic}",
        "hello": "Hello {name},",
        "visitor_intro": (
            "Thank you for taking the skin assessment with {clinic}. Here is a copy of your result."
        ),
        "why": "Why",
        "read_next": "To read next",
        "disclaimer": (
            "This assessment is general information, not a diagnosis. "
            "{clinic} will contact you as you asked."
        ),
        "good": "Good candidate",
        "possible": "Possibly suitable",
        "consult": "Needs a consultation first",
        "not_suitable": "Not suitable for mesotherapy",
        "any": "Any time",
        "morning": "Morning",
        "afternoon": "Afternoon",
        "evening": "Evening",
    },
    "de": {
        "clinic_subject": "Neue Anfrage aus der Hautanalyse von {clinic}",
        "clinic_intro": "Über die Hautanalyse auf Ihrer Website ist eine neue Anfrage eingegangen.",
        "name": "Name",
        "email": "E-Mail",
        "phone": "Telefon",
        "contact_time": "Beste Zeit für einen Anruf",
        "assessment": "Einschätzung",
        "top_concern": "Hauptanliegen",
        "open_lead": "Die vollständige Einschätzung im Backoffice ansehen",
        "no_answers": (
            "Die Gesundheitsangaben der Person bleiben im Backoffice "
            "und werden nicht per E-Mail verschickt."
        ),
        "marketing": "Die Person hat auch Marketing-Nachrichten zugestimmt.",
        "visitor_subject": "Ihr Ergebnis der Hautanalyse von {clinic}",
        "hello": "Hallo {name},",
        "visitor_intro": (
            "vielen Dank, dass Sie die Hautanalyse von {clinic} gemacht haben. "
            "Hier ist eine Kopie Ihres Ergebnisses."
        ),
        "why": "Warum",
        "read_next": "Zum Weiterlesen",
        "disclaimer": (
            "Diese Einschätzung ist eine allgemeine Information, keine Diagnose. "
            "{clinic} meldet sich bei Ihnen wie gewünscht."
        ),
        "good": "Gut geeignet",
        "possible": "Möglicherweise geeignet",
        "consult": "Zuerst ein Beratungsgespräch",
        "not_suitable": "Für Mesotherapie nicht geeignet",
        "any": "Jederzeit",
        "morning": "Vormittags",
        "afternoon": "Nachmittags",
        "evening": "Abends",
    },
    "es": {
        "clinic_subject": "Nueva consulta desde la evaluación de la piel de {clinic}",
        "clinic_intro": "Ha llegado una nueva consulta a través de la evaluación de su sitio web.",
        "name": "Nombre",
        "email": "Correo electrónico",
        "phone": "Teléfono",
        "contact_time": "Mejor momento para llamar",
        "assessment": "Evaluación",
        "top_concern": "Preocupación principal",
        "open_lead": "Ver la evaluación completa en el back office",
        "no_answers": (
            "Las respuestas de salud de la persona se guardan solo en el back office "
            "y no se envían por correo."
        ),
        "marketing": "También aceptó recibir comunicaciones comerciales.",
        "visitor_subject": "Su resultado de la evaluación de la piel de {clinic}",
        "hello": "Hola, {name}:",
        "visitor_intro": (
            "Gracias por hacer la evaluación de la piel con {clinic}. "
            "Aquí tiene una copia de su resultado."
        ),
        "why": "Por qué",
        "read_next": "Para leer a continuación",
        "disclaimer": (
            "Esta evaluación es información general, no un diagnóstico. "
            "{clinic} se pondrá en contacto con usted como pidió."
        ),
        "good": "Buena candidata o buen candidato",
        "possible": "Posiblemente adecuado",
        "consult": "Primero, una consulta",
        "not_suitable": "No adecuado para mesoterapia",
        "any": "En cualquier momento",
        "morning": "Por la mañana",
        "afternoon": "Por la tarde",
        "evening": "Por la noche",
    },
}


def phrases(language: str) -> dict[str, str]:
    """Return the mail wording in `language`, English for any missing phrase or language."""
    return {**PHRASES["en"], **PHRASES.get(language, {})}


def account_phrases(language: str) -> dict[str, str]:
    """Return the wording of account mails in `language`, English for anything missing."""
    return {**ACCOUNT_PHRASES["en"], **ACCOUNT_PHRASES.get(language, {})}


# The reminder digest: how many leads wait and links to them, never a name or an answer.
REMINDER_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{clinic}: leads waiting for a first contact",
        "intro": (
            "These leads of {clinic} are still new after the clinic's follow-up time "
            "of {hours} hours:"
        ),
        "lead": "Lead received {when} UTC",
        "all": "Every new lead in the back office",
        "why": (
            "You receive this because you follow up {clinic}'s leads; "
            "a lead is named at most once a day."
        ),
    },
    "de": {
        "subject": "{clinic}: Anfragen warten auf einen ersten Kontakt",
        "intro": (
            "Diese Anfragen an {clinic} sind nach der Nachfassfrist der Klinik von "
            "{hours} Stunden noch neu:"
        ),
        "lead": "Anfrage eingegangen am {when} UTC",
        "all": "Alle neuen Anfragen im Backoffice",
        "why": (
            "Sie erhalten diese E-Mail, weil Sie die Anfragen von {clinic} bearbeiten; "
            "jede Anfrage wird höchstens einmal am Tag genannt."
        ),
    },
    "es": {
        "subject": "{clinic}: consultas que esperan un primer contacto",
        "intro": (
            "Estas consultas de {clinic} siguen nuevas después del plazo de seguimiento "
            "de la clínica, {hours} horas:"
        ),
        "lead": "Consulta recibida el {when} UTC",
        "all": "Todas las consultas nuevas en el back office",
        "why": (
            "Recibe este correo porque hace el seguimiento de las consultas de {clinic}; "
            "cada consulta se menciona como máximo una vez al día."
        ),
    },
}


def reminder_phrases(language: str) -> dict[str, str]:
    """Return the wording of reminder digests in `language`, English for anything missing."""
    return {**REMINDER_PHRASES["en"], **REMINDER_PHRASES.get(language, {})}
