"""The optional emails to a customer when a promise is made and when it is kept.

Each purpose has a system program ("Promise made", "Promise kept": one-off,
relationship purpose, sent automatically) with its own template (keys "promise-made"
and "promise-kept"), both created on first use and then editable like any other
template on the Outreach pages. The program has no segment and no next run, so the
scheduler never runs it; messages reach the outbox only from here, under the occurrence
"promise:<id>:made" / "promise:<id>:kept", so each is queued once however often this is
called. The worker sends them and logs each as an email touch.
"""

from __future__ import annotations

from django.db import transaction

from lifelong.outreach.models import Approval, Program, ProgramKind, Purpose, Template
from lifelong.outreach.outbox import Outgoing, enqueue
from lifelong.outreach.rendering import context_for, render, save_template
from lifelong.promises.models import Promise
from lifelong.promises.services import due_words

MADE, KEPT = "made", "kept"

# key -> (template name, program name, subject, plain-text body, HTML body)
TEMPLATES: dict[str, tuple[str, str, str, str, str]] = {
    MADE: (
        "Promise made (to the customer)",
        "Promise made",
        "Our promise to you: {{ promise.what }}",
        """Dear {{ first_name|default:"customer" }},

As we agreed, here is our promise in writing: {{ promise.what }}, {{ promise.due }}.

{{ promise.owner_name|default:sender_name }} at {{ business_name }} is looking after it.
If anything changes, you will hear from us before then.

Kind regards,
{{ sender_name }}
{{ signature }}
""",
        """<p>Dear {{ first_name|default:"customer" }},</p>
<p>As we agreed, here is our promise in writing:
<strong>{{ promise.what }}</strong>, {{ promise.due }}.</p>
<p>{{ promise.owner_name|default:sender_name }} at {{ business_name }} is looking after it.
If anything changes, you will hear from us before then.</p>
<p>Kind regards,<br>{{ sender_name }}</p>
{% if signature %}<p>{{ signature|linebreaksbr }}</p>{% endif %}
""",
    ),
    KEPT: (
        "Promise kept (to the customer)",
        "Promise kept",
        "Done: {{ promise.what }}",
        """Dear {{ first_name|default:"customer" }},

We promised you: {{ promise.what }}. It is done.

Thank you for your trust. If there is anything else we can do, just reply to this email.

Kind regards,
{{ sender_name }}
{{ signature }}
""",
        """<p>Dear {{ first_name|default:"customer" }},</p>
<p>We promised you: <strong>{{ promise.what }}</strong>. It is done.</p>
<p>Thank you for your trust. If there is anything else we can do, just reply to this email.</p>
<p>Kind regards,<br>{{ sender_name }}</p>
{% if signature %}<p>{{ signature|linebreaksbr }}</p>{% endif %}
""",
    ),
}


def template_key(purpose: str) -> str:
    return f"promise-{purpose}"


@transaction.atomic
def ensure_template(purpose: str) -> Template:
    """The template of `purpose` ("made" or "kept"), created the first time."""
    found = Template.objects.filter(key=template_key(purpose)).first()
    if found is not None:
        return found
    name, _, subject, body_text, body_html = TEMPLATES[purpose]
    return save_template(
        Template(
            key=template_key(purpose),
            name=name,
            purpose=Purpose.RELATIONSHIP,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
        )
    )


@transaction.atomic
def system_program(purpose: str) -> Program:
    """The program that sends the `purpose` emails, created the first time."""
    template = ensure_template(purpose)
    program, _ = Program.objects.get_or_create(
        name=TEMPLATES[purpose][1],
        kind=ProgramKind.ONE_OFF,
        defaults={
            "purpose": Purpose.RELATIONSHIP,
            "template": template,
            "approval": Approval.AUTOMATIC,
            # No segment and no next run: the scheduler never runs it (see above).
            "next_run_at": None,
        },
    )
    return program


def occurrence(promise: Promise, purpose: str) -> str:
    return f"promise:{promise.pk}:{purpose}"


def _send(promise: Promise, purpose: str) -> int:
    customer = promise.customer
    email = customer.emails.order_by("position", "id").first()
    if email is None:
        return 0
    program = system_program(purpose)
    sender = promise.owner if promise.owner and promise.owner.is_active else customer.owner
    extra = {
        "promise": {
            "what": promise.what,
            "due": due_words(promise),
            "due_date": promise.due_on or promise.window_end.date(),
            "owner_name": promise.owner.display_name if promise.owner else "",
        }
    }
    parts = render(program.template, context_for(customer, sender=sender, extra=extra))
    out = Outgoing(
        customer_id=customer.pk,
        to_address=email.address,
        subject=parts.subject,
        body_text=parts.body_text,
        body_html=parts.body_html,
        from_name=sender.get_full_name() or sender.username,
        sender_id=sender.pk,
    )
    return enqueue(program, [out], occurrence(promise, purpose))


def send_made(promise: Promise) -> int:
    """Queue the "promise made" email (once); 0 when the customer has no email address
    or it was queued before."""
    return _send(promise, MADE)


def send_kept(promise: Promise) -> int:
    """Queue the "promise kept" email (once); 0 as for send_made."""
    return _send(promise, KEPT)
