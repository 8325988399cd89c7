"""Synthetic demo data: a small business with a few users and N plausible customers.

Everything comes from one `random.Random(seed)` and dates count back from the start of
today, so the same seed on the same day gives the same data. Rows are written with
bulk_create, but the derived columns the list and search depend on are kept exactly as
the services keep them: Customer.sort_name, the SearchTerm rows and last_touched_at.

The people, companies and addresses are made up; email addresses use the reserved
example.* domains, so nothing is ever sent to a real mailbox.

The business sells office technology: printers and conference cameras in successive
models, workplace software releases, service plans, supplies, installation. Purchases
follow the story the value models (BG/NBD, Gamma-Gamma) tell, so they have realistic
data to fit: each customer buys at their own rate, drawn from a gamma distribution, as a
Poisson process; after each purchase they stop for good with their own probability,
drawn from a beta distribution; what they spend per purchase is gamma distributed
around their own mean, itself gamma distributed across customers. Former customers have
stopped buying; prospects have bought nothing. Purchases come from their own random
stream, so adding them left the customers of a seed as they were.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from lifelong.accounts.models import Business, Role, User
from lifelong.commerce.models import Channel as PurchaseChannel
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.cadence import recompute_due
from lifelong.customers.models import (
    AnswerKind,
    Customer,
    CustomerEmail,
    CustomerPhone,
    ProfileAnswer,
    ProfileQuestion,
    Relationship,
    Relative,
    SearchTerm,
    Status,
    Tag,
)
from lifelong.customers.partial_dates import PartialDate
from lifelong.customers.services import normalise_phone, parse_answer, search_terms
from lifelong.events.demo import add_demo_events
from lifelong.extras.demo import add_demo_extras
from lifelong.occasions.services import sync_occasions
from lifelong.outreach.models import Program, Template
from lifelong.outreach.programs import save_program
from lifelong.outreach.rendering import ensure_starter_templates
from lifelong.privacy.consent import record_consent_changes
from lifelong.promises.demo import add_demo_promises
from lifelong.referrals.demo import add_demo_referrals
from lifelong.segments.models import Segment
from lifelong.surveys.demo import add_demo_surveys
from lifelong.touches.models import Channel, Direction, Touch

# A fixed password for local demo data only; `lifelong demo` prints it on every run.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "lifelong-demo"  # noqa: S105

# (username, role, first name, last name); the first is the demo login.
DEMO_USERS: list[tuple[str, str, str, str]] = [
    (DEMO_USERNAME, Role.OWNER, "Eva", "Lindqvist"),
    ("karin", Role.MANAGER, "Karin", "Holm"),
    ("johan", Role.REP, "Johan", "Ek"),
    ("amira", Role.REP, "Amira", "Haddad"),
    ("oscar", Role.REP, "Oscar", "Nilsson"),
]
# How the customers are shared out: mostly the reps, some the manager, a few the owner.
OWNER_WEIGHTS = [1, 3, 8, 8, 7]

# ---------------------------------------------------------------- name pools


def _surnames(text: str) -> list[tuple[str, int]]:
    """'Andersson 40, de Jong 3' -> [('Andersson', 40), ('de Jong', 3)]."""
    pairs = (item.strip().rsplit(" ", 1) for item in text.split(","))
    return [(name, int(weight)) for name, weight in pairs]


# Each origin: female first names, male first names, (last name, weight) pairs.
# Weights roughly follow how common the names are, so a few surnames are very common
# (the benchmark searches for one of those) and many are rare.
_SWEDISH = (
    "Anna Eva Maria Karin Sara Kristina Lena Emma Ingrid Malin Elin Sofia Hanna Johanna "
    "Linnea Ebba Astrid Åsa Märta Ida Frida Helena Cecilia Annika Louise Matilda",
    "Erik Lars Karl Anders Johan Per Nils Mikael Jan Olof Gustav Björn Fredrik Magnus "
    "Henrik Oskar Axel Viktor Jonas Mattias Emil Hugo Linus Sven Göran Ulf",
    _surnames(
        "Andersson 40, Johansson 40, Karlsson 38, Nilsson 36, Eriksson 34, Larsson 30, Olsson "
        "28, Persson 27, Svensson 26, Gustafsson 24, Pettersson 22, Jonsson 20, Jansson 16, "
        "Hansson 14, Bengtsson 12, Lindberg 10, Lindström 10, Lindqvist 9, Berg 9, Axelsson "
        "9, Bergström 8, Lundberg 8, Lind 8, Lundgren 8, Mattsson 7, Berglund 7, Fredriksson "
        "7, Sandberg 6, Henriksson 6, Forsberg 6, Sjöberg 6, Åberg 5, Ström 5, Holm 5, "
        "Engström 5, Ek 4, Dahlberg 4, Hedlund 4, Sundberg 4, Öberg 3, Nyström 3, Wallin 3, "
        "Björk 3, Falk 2, Hägg 2, Rosén 2, Tegnér 1, Wahlroos 1"
    ),
)
_ENGLISH = (
    "Olivia Emily Charlotte Sophie Jessica Grace Lucy Hannah Amelia Sarah Rachel Claire",
    "James Oliver William Thomas George Harry Daniel Matthew Jack Samuel Andrew Michael",
    _surnames(
        "Smith 20, Jones 14, Williams 12, Taylor 10, Brown 10, Davies 8, Wilson 8, Evans 7, "
        "Johnson 7, Walker 5, Wright 5, Robinson 4, Thompson 4, Hughes 4, Clarke 3, Fletcher "
        "2, Ashworth 1, Pemberton 1, Whitcombe 1"
    ),
)
_OTHER = [
    (
        "Aino Helmi Sanna Tuula Laura",
        "Juha Mikko Timo Antti Ville",
        _surnames("Korhonen 4, Virtanen 4, Mäkinen 3, Nieminen 3, Heikkinen 1"),
    ),
    (
        "Ingrid Kari Silje Nora",
        "Ole Magnus Sindre Håkon",
        _surnames("Hansen 4, Johansen 3, Olsen 3, Haugen 2, Bakke 1"),
    ),
    (
        "Julia Lena Katrin Anja",
        "Lukas Jonas Felix Stefan",
        _surnames("Müller 4, Schmidt 4, Schneider 3, Fischer 3, Wagner 2"),
    ),
    (
        "Sanne Femke Lotte",
        "Daan Sem Bram",
        _surnames("de Jong 3, Jansen 3, van Dijk 2, Bakker 2"),
    ),
    (
        "Camille Léa Chloé",
        "Louis Hugo Théo",
        _surnames("Martin 3, Bernard 2, Dubois 2, Lefèvre 1"),
    ),
    (
        "Giulia Chiara Francesca",
        "Marco Luca Matteo",
        _surnames("Rossi 3, Russo 2, Ferrari 2, Esposito 1"),
    ),
    (
        "Lucía Carmen Elena",
        "Javier Pablo Diego",
        _surnames("García 3, Martínez 2, López 2, Fernández 1"),
    ),
    (
        "Zofia Agnieszka Katarzyna",
        "Piotr Tomasz Krzysztof",
        _surnames("Nowak 3, Kowalski 2, Wiśniewski 1"),
    ),
    (
        "Fatima Leila Yasmin Noor",
        "Ahmed Omar Karim Yusuf",
        _surnames("Hassan 3, Ali 3, Haddad 2, Khalil 1, Mansour 1"),
    ),
    (
        "Amara Chiamaka Ngozi",
        "Chinedu Emeka Tunde",
        _surnames("Okafor 2, Adeyemi 2, Okonkwo 1, Eze 1"),
    ),
    (
        "Priya Ananya Deepa",
        "Arjun Rahul Vikram",
        _surnames("Patel 3, Sharma 2, Iyer 1, Reddy 1"),
    ),
    (
        "Mei Lin Xiu",
        "Wei Jun Hao",
        _surnames("Wang 3, Li 3, Zhang 2, Chen 2"),
    ),
    (
        "Elif Zeynep Ayşe",
        "Mehmet Emre Can",
        _surnames("Yilmaz 3, Kaya 2, Demir 2, Şahin 1"),
    ),
]  # fmt: skip

# (origin, weight): most customers of a Swedish business have Swedish names.
_ORIGINS = [(_SWEDISH, 70), (_ENGLISH, 12), *((o, 2) for o in _OTHER)]

JOB_TITLES = [
    "CEO", "Managing Director", "Founder", "Owner", "CFO", "Head of Finance", "Controller",
    "Office Manager", "Purchasing Manager", "Head of Operations", "Project Manager",
    "Site Manager", "Architect", "Engineer", "Accountant", "Sales Director", "Marketing Lead",
    "HR Manager", "IT Manager", "Consultant", "Dentist", "Physician", "Lawyer", "Teacher",
    "Property Manager", "Restaurant Owner", "Head Chef", "Pharmacist", "Electrician",
    "Carpenter", "Designer", "Photographer", "Board Member", "Retired",
]  # fmt: skip
_COMPANY_HEADS = [
    "Norr", "Sol", "Ek", "Björk", "Hav", "Fjäll", "Nord", "Sjö", "Älv", "Gran", "Lind",
    "Stjärn", "Kust", "Ström", "Berg", "Ljung", "Vind", "Skär", "Dal", "Ång",
]  # fmt: skip
_COMPANY_TRADES = [
    "Bygg", "Konsult", "Design", "Fastigheter", "Redovisning", "Data", "Trä", "Måleri",
    "El", "Revision", "Transport", "Café", "Invest", "Media", "Tandvård", "Juridik",
    "Arkitekter", "Rör", "Städ", "Trädgård",
]  # fmt: skip
_EN_COMPANY_WORDS = ["Harbour", "Oak", "Meridian", "Northgate", "Bluebell", "Kestrel", "Granite"]
_EN_COMPANY_TRADES = ["Consulting", "Design", "Estates", "Accounting", "Logistics", "Studio"]


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    postal: Callable[[random.Random], str]
    phone: Callable[[random.Random], str]
    streets: tuple[str, ...]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _se_postal(first: str) -> Callable[[random.Random], str]:
    return lambda rng: f"{first}{rng.randint(0, 99):02d} {rng.randint(10, 99)}"


def _se_mobile(rng: random.Random) -> str:
    return f"+467{rng.choice('02369')}{_digits(rng, 7)}"


_SE_STREETS = (
    "Storgatan", "Kungsgatan", "Drottninggatan", "Vasagatan", "Skolgatan", "Järnvägsgatan",
    "Parkvägen", "Björkvägen", "Ringvägen", "Kyrkogatan", "Hamngatan", "Strandvägen",
)  # fmt: skip
_SE_PLACES = [
    (Place("Stockholm", "Stockholm", "Sweden", _se_postal("1"), _se_mobile, _SE_STREETS), 30),
    (Place("Göteborg", "Västra Götaland", "Sweden", _se_postal("4"), _se_mobile, _SE_STREETS), 14),
    (Place("Malmö", "Skåne", "Sweden", _se_postal("2"), _se_mobile, _SE_STREETS), 10),
    (Place("Uppsala", "Uppsala", "Sweden", _se_postal("75"), _se_mobile, _SE_STREETS), 6),
    (Place("Västerås", "Västmanland", "Sweden", _se_postal("72"), _se_mobile, _SE_STREETS), 4),
    (Place("Örebro", "Örebro", "Sweden", _se_postal("70"), _se_mobile, _SE_STREETS), 4),
    (Place("Linköping", "Östergötland", "Sweden", _se_postal("58"), _se_mobile, _SE_STREETS), 4),
    (Place("Lund", "Skåne", "Sweden", _se_postal("22"), _se_mobile, _SE_STREETS), 3),
    (Place("Umeå", "Västerbotten", "Sweden", _se_postal("90"), _se_mobile, _SE_STREETS), 3),
    (Place("Visby", "Gotland", "Sweden", _se_postal("62"), _se_mobile, _SE_STREETS), 1),
]  # fmt: skip
_ABROAD = [
    Place("London", "", "United Kingdom",
          lambda r: f"{r.choice(['N', 'SE', 'W', 'EC'])}{r.randint(1, 19)} {r.randint(1, 9)}"
          f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}",
          lambda r: f"+44797{_digits(r, 7)}", ("High Street", "Church Road", "Park Lane")),
    Place("Oslo", "", "Norway", lambda r: f"0{r.randint(150, 990)}",
          lambda r: f"+474{r.choice('01')}{_digits(r, 6)}", ("Storgata", "Kirkeveien")),
    Place("Helsinki", "", "Finland", lambda r: f"00{r.randint(100, 990)}",
          lambda r: f"+35840{_digits(r, 7)}", ("Mannerheimintie", "Aleksanterinkatu")),
    Place("Berlin", "", "Germany", lambda r: f"1{r.randint(1000, 4199)}",
          lambda r: f"+49151{_digits(r, 8)}", ("Hauptstraße", "Lindenallee")),
    Place("Amsterdam", "", "Netherlands", lambda r: f"10{r.randint(10, 99)} AB",
          lambda r: f"+3161{_digits(r, 7)}", ("Prinsengracht", "Kalverstraat")),
    Place("New York", "NY", "United States", lambda r: f"100{r.randint(1, 99):02d}",
          lambda r: f"+1212{r.randint(200, 999)}{_digits(r, 4)}", ("Broadway", "Madison Ave")),
]  # fmt: skip
_PLACES = [*_SE_PLACES, *((p, 2) for p in _ABROAD)]

NICKNAMES = {
    "Kristina": "Kicki", "Mikael": "Micke", "Fredrik": "Fredde", "Magnus": "Mange",
    "Thomas": "Tom", "William": "Will", "Matthew": "Matt", "Samuel": "Sam", "Daniel": "Dan",
    "Charlotte": "Lotta", "Johanna": "Jossan", "Gustav": "Gurra", "Olof": "Olle",
}  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]
TAGS = [
    "vip", "newsletter", "golf", "wine club", "key account", "family business",
    "board member", "early adopter", "referral source", "speaks english", "seasonal",
]  # fmt: skip
CONSENT_SOURCES = ["Signed form", "Web sign-up", "Said yes on a call", "At the open house"]

# ---------------------------------------------------------------- touches

_SUMMARIES: dict[str, list[str]] = {
    Channel.CALL: [
        "Quarterly check-in call", "Called about the renewal", "Followed up on the quote",
        "Called to wish a happy birthday", "Asked how the new installation works",
        "Called to thank them for the referral", "Checked in after the delivery",
    ],
    Channel.EMAIL: [
        "Sent the quarterly rate update", "Thank-you note after the order",
        "Answered a question about the invoice", "Sent the product news letter",
        "Shared an article they might like", "Confirmed the meeting time",
    ],
    Channel.MEETING: [
        "Annual review meeting", "Lunch to talk about next year's plans",
        "Walked through the new offer", "Coffee at their office",
    ],
    Channel.VISIT: ["Visited the site to check the work", "Dropped by with the samples"],
    Channel.LETTER: ["Handwritten thank-you card", "Christmas card", "Customer anniversary card"],
    Channel.TEXT: ["Texted birthday greetings", "Reminder about Thursday's meeting"],
    Channel.GIFT: [
        "Sent flowers for the new office", "A book on their favourite hobby",
        "Cinema tickets for the family", "A bottle of wine for the anniversary",
    ],
    Channel.EVENT: ["Came to the spring open house", "Working lunch seminar", "Autumn mingle"],
}  # fmt: skip
_INBOUND_SUMMARIES = [
    "Called us with a question about the contract", "Asked for a new quote by email",
    "Texted to move the meeting", "Emailed to say thank you",
]  # fmt: skip
_CHANNEL_WEIGHTS = [
    (Channel.CALL, 30), (Channel.EMAIL, 30), (Channel.MEETING, 12), (Channel.VISIT, 5),
    (Channel.LETTER, 6), (Channel.TEXT, 8), (Channel.GIFT, 4), (Channel.EVENT, 5),
]  # fmt: skip
_OUTCOMES = [
    "", "", "", "Happy with the service.", "Wants a new quote in spring.",
    "Will introduce us to a colleague.", "Asked us to call back after the summer.",
]  # fmt: skip

# ---------------------------------------------------------------- profile answers

# Sample text answers, by question key; questions without samples are left unanswered.
_TEXT_ANSWERS: dict[str, list[str]] = {
    "hometown": ["Kiruna", "Göteborg", "a farm outside Skövde", "Manchester", "Tampere"],
    "lives_in": ["Södermalm", "Vasastan", "Majorna", "Limhamn", "a house by the lake"],
    "languages": ["Swedish, English", "Swedish, English, German", "English, Arabic, Swedish"],
    "partner_occupation": ["Nurse", "Teacher", "Engineer", "Runs a bakery", "Doctor"],
    "pets": ["A labrador called Sixten", "Two cats, Mio and Lisa", "No pets"],
    "university": ["KTH", "Uppsala University", "Lund University", "Chalmers"],
    "degree": ["MSc Engineering", "BA Economics", "Law degree", "Nursing"],
    "current_role": ["Runs the company with her brother", "Leads a team of twelve"],
    "previous_employers": ["Ericsson", "The county council", "A bank in London"],
    "hobbies": ["Sailing", "Golf", "Choir singing", "Cross-country skiing", "Baking bread"],
    "sports_played": ["Padel", "Tennis", "Running", "Floorball"],
    "teams_followed": ["AIK", "IFK Göteborg", "Malmö FF", "Arsenal", "Djurgården"],
    "favourite_restaurant": ["Pelikan", "The local pizzeria", "Sjömagasinet"],
    "favourite_dish": ["Meatballs with lingonberries", "Sushi", "A good espresso"],
    "books_music": ["Crime novels", "Jazz", "History podcasts", "Abba, of course"],
    "travel": ["Summer house on Öland", "Skiing in Åre every February", "Italy in autumn"],
    "causes": ["Red Cross", "Local youth football", "WWF"],
    "dietary": ["Vegetarian", "No nuts", "Gluten-free", "Eats everything"],
    "car": ["Volvo XC60", "Tesla Model 3", "Doesn't own a car"],
    "weekend": ["At the summer house", "Kids' football matches", "Out on the boat"],
    "gift_ideas": ["Good coffee", "Books", "Golf balls", "Anything for the garden"],
    "topics_to_avoid": ["Politics", "Their divorce"],
    "long_term_goal": ["Open a second office", "Hand the business over to the children"],
    "personal_goal": ["Run Stockholm Marathon", "Learn Italian", "Sail to Gotland"],
    "concern_this_year": ["Interest rates", "Finding staff", "Cash flow in the summer"],
    "retirement_plans": ["Move to the coast", "Spend winters in Spain"],
    "what_success_means": ["Time with the family", "A business that runs without them"],
    "we_could_help": ["Yearly maintenance plan", "Upgrade to the new version"],
    "best_time": ["Mornings before nine", "After lunch", "Friday afternoons"],
    "why_us": ["Quick answers", "A friend recommended us", "Local and personal"],
    "what_they_value": ["That we remember details", "Fast delivery", "Straight answers"],
    "next_step": ["Send the new price list in March", "Invite to the open house"],
}  # fmt: skip
_NUMBER_ANSWERS: dict[str, tuple[int, int]] = {
    "graduation_year": (1975, 2020),
    "years_in_role": (1, 25),
}


def ascii_slug(text: str, sep: str = "") -> str:
    """'Åsa Ström' -> 'asastrom': the letters and digits of `text`, unaccented, lower-case."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = (c if c.isascii() and c.isalnum() else " " for c in decomposed)
    return sep.join("".join(kept).split())


def _weighted(rng: random.Random, pairs: list) -> object:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def random_birthday(rng: random.Random, year: int | None) -> PartialDate:
    """A day anywhere in the year (29 February only in leap years or without a year)."""
    day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(366))
    if year is not None and day.month == 2 and day.day == 29 and year % 4:
        day = day.replace(day=28)
    return PartialDate(month=day.month, day=day.day, year=year)


@dataclass
class Person:
    """A made-up customer's identity and contact points, ready for a Customer row."""

    first_name: str
    last_name: str
    company: str
    job_title: str
    street: str
    postal_code: str
    city: str
    region: str
    country: str
    emails: list[tuple[str, str]] = field(default_factory=list)  # (address, label)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164 number, label)


def fake_person(rng: random.Random) -> Person:
    """A plausible person: name, maybe a company and title, an address, emails and phones."""
    females, males, surnames = _weighted(rng, _ORIGINS)
    first = rng.choice((females if rng.random() < 0.5 else males).split())
    last = str(_weighted(rng, surnames))
    place: Place = _weighted(rng, _PLACES)  # type: ignore[assignment]
    company, title = "", ""
    if rng.random() < 0.6:
        if place.country == "Sweden":
            company = rng.choice(
                [
                    f"{last} {rng.choice(_COMPANY_TRADES)} AB",
                    f"{rng.choice(_COMPANY_HEADS)}{rng.choice(_COMPANY_TRADES).lower()} AB",
                ]
            )
        else:
            company = rng.choice(
                [
                    f"{last} & Partners",
                    f"{rng.choice(_EN_COMPANY_WORDS)} {rng.choice(_EN_COMPANY_TRADES)} Ltd",
                ]
            )
        title = rng.choice(JOB_TITLES)
    elif rng.random() < 0.3:
        title = rng.choice(JOB_TITLES)
    person = Person(
        first_name=first,
        last_name=last,
        company=company,
        job_title=title,
        street=f"{rng.choice(place.streets)} {rng.randint(1, 120)}",
        postal_code=place.postal(rng),
        city=place.city,
        region=place.region,
        country=place.country,
    )
    local = f"{ascii_slug(first)}.{ascii_slug(last)}"
    if rng.random() < 0.92:
        suffix = str(rng.randint(1, 99)) if rng.random() < 0.3 else ""
        person.emails.append((f"{local}{suffix}@{rng.choice(EMAIL_DOMAINS)}", "home"))
    if company and rng.random() < 0.7:
        work = f"{ascii_slug(first)}@{ascii_slug(company.removesuffix(' AB'), '-')}.example"
        person.emails.insert(0, (work, "work"))
    if rng.random() < 0.85:
        person.phones.append((place.phone(rng), "mobile"))
    if company and rng.random() < 0.4:
        person.phones.append((place.phone(rng), "work"))
    if not person.phones or rng.random() < 0.1:
        # A Stockholm landline, the kind older customers still give.
        person.phones.append((f"+468{_digits(rng, 7)}", "home"))
    person.phones = list(dict(person.phones).items())  # no number twice
    person.emails = list(dict(person.emails).items())
    return person


@dataclass
class DemoResult:
    customers: int
    users: list[User]
    login_user: User | None
    password_is_demo: bool
    purchases: int = 0


# ---------------------------------------------------------------- users


def ensure_demo_users() -> list[User]:
    """The demo staff, created with the demo password when missing; existing ones are kept."""
    users = []
    for username, role, first, last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users.append(user)
    business = Business.get()
    if business.name == "My business":  # still the default: give the demo a face
        business.name = "Lindqvist & Partners AB"
        business.sender_name = "Eva at Lindqvist & Partners"
        business.sender_email = "hello@lindqvist.example"
        business.postal_address = "Storgatan 12\n111 22 Stockholm\nSweden"
        business.currency = "SEK"
        business.save()
    return users


def login_line(url: str = "http://127.0.0.1:8000/") -> str | None:
    """What to tell the person at the terminal about the demo login, or None if none exists."""
    user = User.objects.filter(username=DEMO_USERNAME).first()
    if user is None:
        return None
    if user.check_password(DEMO_PASSWORD):
        return f"Log in at {url} as {DEMO_USERNAME} / {DEMO_PASSWORD}"
    return f"Log in at {url} as {DEMO_USERNAME} (the demo password was changed; use yours)"


# ---------------------------------------------------------------- customers


class _Generator:
    """Builds one batch of customers and their rows at a time, from one random stream."""

    def __init__(self, rng: random.Random, users: list[User], today: dt.date) -> None:
        self.rng = rng
        self.users = users
        self.today = today
        tz = dt.UTC
        self.anchor = dt.datetime(today.year, today.month, today.day, tzinfo=tz)
        self.tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
        self.questions = {q.key: q for q in ProfileQuestion.objects.filter(hidden=False)}

    def _moment(self, days_ago_max: float, days_ago_min: float = 0.0) -> dt.datetime:
        """A time in office hours between the two bounds, counted back from the anchor."""
        days = self.rng.uniform(days_ago_min, days_ago_max)
        day = self.anchor - dt.timedelta(days=int(days) + 1)
        return day + dt.timedelta(hours=self.rng.randint(7, 16), minutes=self.rng.randrange(60))

    def customer(self) -> tuple[Customer, Person]:
        rng = self.rng
        person = fake_person(rng)
        status = _weighted(rng, [(Status.CUSTOMER, 75), (Status.PROSPECT, 15), (Status.FORMER, 10)])
        owner = rng.choices(self.users, weights=OWNER_WEIGHTS)[0]
        became = None
        if status != Status.PROSPECT:
            became = self.today - dt.timedelta(days=rng.randint(60, 15 * 365))
        created = self._moment(900, 200)
        consent = bool(person.emails) and status != Status.FORMER and rng.random() < 0.55
        customer = Customer(
            status=status,
            owner=owner,
            first_name=person.first_name,
            last_name=person.last_name,
            nickname=NICKNAMES.get(person.first_name, "") if rng.random() < 0.3 else "",
            company=person.company,
            job_title=person.job_title,
            street=person.street,
            postal_code=person.postal_code,
            city=person.city,
            region=person.region,
            country=person.country,
            became_customer_on=became,
            email_consent=consent,
            email_consent_at=self._moment(700, 30) if consent else None,
            email_consent_source=rng.choice(CONSENT_SOURCES) if consent else "",
            created_at=created,
            updated_at=created,
            archived_at=self._moment(60, 1) if rng.random() < 0.01 else None,
        )
        customer.sort_name = customer.compute_sort_name()
        return customer, person

    def touches(self, customer: Customer) -> list[Touch]:
        rng = self.rng
        count = {
            Status.CUSTOMER: rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12]),
            Status.PROSPECT: rng.choice([0, 0, 1, 2, 3]),
            Status.FORMER: rng.choice([0, 1, 2, 3]),
        }[customer.status]
        # Former customers went quiet a while ago; the others were touched up to yesterday,
        # and a business that keeps in touch has heard from most of them in the last weeks.
        newest = 200.0 if customer.status == Status.FORMER else 0.0
        recent = customer.status == Status.CUSTOMER and rng.random() < 0.8
        touches = []
        for i in range(count):
            channel = _weighted(rng, _CHANNEL_WEIGHTS)
            inbound = channel in (Channel.CALL, Channel.EMAIL, Channel.TEXT) and rng.random() < 0.2
            user = customer.owner if rng.random() < 0.85 else rng.choice(self.users)
            when = self._moment(40, newest) if recent and i == 0 else self._moment(730, newest)
            touches.append(
                Touch(
                    customer=customer,
                    user=user,
                    channel=channel,
                    direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                    occurred_at=when,
                    summary=rng.choice(_INBOUND_SUMMARIES if inbound else _SUMMARIES[channel]),
                    outcome=rng.choice(_OUTCOMES),
                    created_at=when,
                )
            )
        return touches

    def family(self, customer: Customer) -> tuple[int, list[Relative]]:
        """The customer's birth year and relatives: maybe a partner, maybe children."""
        rng = self.rng
        relatives = []
        age = rng.randint(28, 75)
        born = self.today.year - age
        if rng.random() < 0.6:
            kind = Relationship.SPOUSE if rng.random() < 0.6 else Relationship.PARTNER
            partner = fake_person(rng)
            year = born + rng.randint(-4, 4) if rng.random() < 0.6 else None
            relatives.append(
                Relative(
                    customer=customer,
                    name=f"{partner.first_name} {customer.last_name or partner.last_name}",
                    relationship=kind,
                    birthday=random_birthday(rng, year) if rng.random() < 0.8 else None,
                    created_at=customer.created_at,
                )
            )
        for _ in range(rng.choice([0, 0, 1, 2, 2, 3]) if age > 30 else 0):
            child = fake_person(rng)
            year = min(born + rng.randint(24, 42), self.today.year - 1)
            relatives.append(
                Relative(
                    customer=customer,
                    name=child.first_name,
                    relationship=Relationship.CHILD,
                    birthday=random_birthday(rng, year if rng.random() < 0.75 else None),
                    notes=rng.choice(["", "", "Plays football", "Studies in Lund", "Loves horses"]),
                    created_at=customer.created_at,
                )
            )
        return born, relatives

    def answers(
        self, customer: Customer, born: int, relatives: list[Relative]
    ) -> list[ProfileAnswer]:
        """Part of the profile sheet, consistent with the relatives where they overlap."""
        rng = self.rng
        raw: dict[str, str] = {}
        partner = next((r for r in relatives if r.relationship != Relationship.CHILD), None)
        children = [r for r in relatives if r.relationship == Relationship.CHILD]
        if rng.random() < 0.7:
            raw["birthday"] = random_birthday(rng, born if rng.random() < 0.7 else None).isoformat()
        if partner is not None and rng.random() < 0.8:
            raw["partner_name"] = partner.name
            raw["marital_status"] = (
                "Married" if partner.relationship == Relationship.SPOUSE else "Partner"
            )
            if partner.relationship == Relationship.SPOUSE and rng.random() < 0.5:
                year = rng.randint(max(born + 22, 1970), self.today.year - 1)
                raw["wedding_anniversary"] = random_birthday(rng, year).isoformat()
        elif rng.random() < 0.3:
            raw["marital_status"] = rng.choice(["Single", "Separated", "Widowed"])
        if rng.random() < 0.5:
            raw["children_count"] = str(len(children))
        if customer.company and rng.random() < 0.3:
            raw["business_anniversary"] = random_birthday(
                rng, rng.randint(1970, self.today.year - 1)
            ).isoformat()
        keys = [k for k in self.questions if k not in raw]
        for key in rng.sample(keys, k=rng.randint(0, min(18, len(keys)))):
            question = self.questions[key]
            if question.kind == AnswerKind.CHOICE:
                raw[key] = rng.choice(question.choices)
            elif key in _NUMBER_ANSWERS:
                raw[key] = str(rng.randint(*_NUMBER_ANSWERS[key]))
            elif question.kind == AnswerKind.TEXT and key in _TEXT_ANSWERS:
                raw[key] = rng.choice(_TEXT_ANSWERS[key])
        answers = []
        for key, value in raw.items():
            question = self.questions.get(key)
            if question is not None:
                answers.append(
                    ProfileAnswer(
                        customer=customer,
                        question=question,
                        value=parse_answer(question, value),
                        updated_at=customer.created_at,
                        updated_by=customer.owner,
                    )
                )
        return answers


# ---------------------------------------------------------------- products and purchases

# (name, SKU, category, versions as (label, released this many days before today; None:
# undated), how often it is in a purchase line, largest quantity in a line)
DEMO_PRODUCTS: list[tuple[str, str, str, list[tuple[str, int | None]], int, int]] = [
    ("Office printer", "PRN", "Hardware", [("P5", 1600), ("P6", 900), ("P7", 200)], 8, 2),
    ("Conference camera", "CAM", "Hardware", [("C200", 1500), ("C300", 720), ("C400", 100)], 6, 2),
    ("Workplace software", "WPS", "Software",
     [("Release 7", 1300), ("Release 8", 780), ("Release 9", 330)], 12, 10),
    ("Service plan", "SVC", "Service", [("Standard", 2000), ("Plus", 400)], 14, 1),
    ("Toner and paper", "SUP", "Supplies", [("Standard", None)], 45, 6),
    ("Installation and training", "INS", "Service", [("Half day", None)], 10, 2),
]  # fmt: skip
_PURCHASE_CHANNELS = [
    (PurchaseChannel.STORE, 25), (PurchaseChannel.ONLINE, 35), (PurchaseChannel.PHONE, 12),
    (PurchaseChannel.FIELD, 23), (PurchaseChannel.OTHER, 5),
]  # fmt: skip
PURCHASE_YEARS = 3
# BG/NBD, in days: the purchase rate lambda ~ Gamma(r, rate alpha) (mean r / alpha, about
# 3 a year), the drop-out probability after each purchase p ~ Beta(a, b) (mean 1/6).
BG_R, BG_ALPHA, BG_A, BG_B = 0.75, 90.0, 1.0, 5.0
# Gamma-Gamma: a customer's spend per purchase ~ Gamma(p, rate nu), nu ~ Gamma(q, rate
# gamma): about 4,000 (SEK) on average across customers, p gamma / (q - 1).
GG_P, GG_Q, GG_GAMMA = 6.0, 4.0, 2000.0
_CENT = Decimal("0.01")


def ensure_demo_products(today: dt.date) -> list[tuple[list[ProductVersion], int, int]]:
    """The demo catalogue (created when missing, found by SKU otherwise): per product its
    versions oldest first, each superseding the one before, its weight and top quantity."""
    catalogue = []
    for name, sku, category, versions, weight, top in DEMO_PRODUCTS:
        product, _ = Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "category": category}
        )
        made: list[ProductVersion] = []
        for label, days in versions:
            released = today - dt.timedelta(days=days) if days is not None else None
            version, _ = ProductVersion.objects.get_or_create(
                product=product,
                label=label,
                defaults={"released_on": released, "supersedes": made[-1] if made else None},
            )
            made.append(version)
        catalogue.append((made, weight, top))
    return catalogue


class _Purchases:
    """Purchase histories, one customer at a time, from their own random stream."""

    def __init__(self, seed: int, today: dt.date, currency: str) -> None:
        self.rng = random.Random(f"lifelong-demo-purchases-{seed}")
        self.today = today
        self.currency = currency
        self.catalogue = ensure_demo_products(today)
        self.anchor = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
        self.window = PURCHASE_YEARS * 365

    def history(self, customer: Customer) -> list[tuple[Purchase, list[PurchaseLine]]]:
        """The customer's purchases over the last three years, oldest first."""
        rng = self.rng
        # Drawn for everybody, so one customer's status leaves the next one's draws alone.
        rate = rng.gammavariate(BG_R, 1 / BG_ALPHA)  # purchases a day
        drop = rng.betavariate(BG_A, BG_B)
        nu = rng.gammavariate(GG_Q, 1 / GG_GAMMA)
        stopped_days_ago = rng.uniform(200, 900)
        if customer.status == Status.PROSPECT or rate <= 0:
            return []
        # Days before today: the start of the window, or the day they became a customer.
        start = float(self.window)
        trial = False
        if customer.became_customer_on is not None:
            since = (self.today - customer.became_customer_on).days
            if since < self.window:
                start, trial = float(since), True  # their first purchase made them one
        end = stopped_days_ago if customer.status == Status.FORMER else 0.0
        days: list[float] = []
        t = start if trial else start - rng.expovariate(rate)
        while t > end:
            days.append(t)
            if rng.random() < drop:
                break  # gone for good, as the BG/NBD story has it
            t -= rng.expovariate(rate)
        return [self._purchase(customer, ago, nu) for ago in days]

    def _purchase(
        self, customer: Customer, days_ago: float, nu: float
    ) -> tuple[Purchase, list[PurchaseLine]]:
        rng = self.rng
        day = self.anchor - dt.timedelta(days=int(days_ago) + 1)
        when = day + dt.timedelta(hours=rng.randint(7, 16), minutes=rng.randrange(60))
        spend = Decimal(str(max(rng.gammavariate(GG_P, 1 / nu), 20.0))).quantize(_CENT)
        count = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
        shares = [rng.gammavariate(1.0, 1.0) for _ in range(count)]
        amounts = [(spend * Decimal(str(s / sum(shares)))).quantize(_CENT) for s in shares]
        amounts[-1] = spend - sum(amounts[:-1])
        if amounts[-1] < 0:  # rounding took the last cent: give it to one line
            amounts = [spend] + [Decimal("0.00")] * (count - 1)
        lines = []
        for amount in amounts:
            versions, _, top = rng.choices(
                self.catalogue, weights=[w for _, w, _ in self.catalogue]
            )[0]
            lines.append(
                PurchaseLine(
                    customer=customer,
                    product_version=self._version(versions, day.date()),
                    quantity=rng.randint(1, top),
                    amount=amount,
                )
            )
        purchase = Purchase(
            customer=customer,
            occurred_at=when,
            total=spend,
            currency=self.currency,
            channel=_weighted(rng, _PURCHASE_CHANNELS),
            created_at=when,
        )
        return purchase, lines

    def _version(self, versions: list[ProductVersion], day: dt.date) -> ProductVersion:
        """Mostly the newest model out on that day; now and then the one before it."""
        out = [v for v in versions if v.released_on is None or v.released_on <= day]
        if not out:
            return versions[0]
        if len(out) > 1 and self.rng.random() < 0.2:
            return out[-2]
        return out[-1]

    def write(self, customers: list[Customer]) -> int:
        """Generate and store the purchases of `customers` (saved already); how many."""
        made = [pair for c in customers for pair in self.history(c)]
        Purchase.objects.bulk_create([p for p, _ in made], batch_size=500)
        lines = []
        for purchase, purchase_lines in made:
            for line in purchase_lines:
                line.purchase = purchase
                lines.append(line)
        PurchaseLine.objects.bulk_create(lines, batch_size=500)
        return len(made)


def _batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


@transaction.atomic
def generate(
    customers: int,
    *,
    seed: int = 1,
    today: dt.date | None = None,
    progress: bool | None = None,
    batch_size: int = 500,
    purchases: bool = True,
) -> DemoResult:
    """Create the demo users (if missing) and `customers` new customers with their history,
    purchases included unless `purchases` is False.

    `progress` None shows a bar only on a terminal. Deterministic for `seed` and `today`.
    """
    rng = random.Random(seed)
    users = ensure_demo_users()
    today = today or timezone.now().date()
    gen = _Generator(rng, users, today)
    buyer = _Purchases(seed, today, Business.get().currency) if purchases else None
    bought = 0
    created: list[Customer] = []
    through = Customer.tags.through
    with tqdm(
        total=customers, unit=" customers", disable=None if progress is None else not progress
    ) as bar:
        for size in _batches(customers, batch_size):
            rows = [gen.customer() for _ in range(size)]
            batch = [c for c, _ in rows]
            touches = {id(c): gen.touches(c) for c in batch}
            for c in batch:
                when = [t.occurred_at for t in touches[id(c)]]
                c.last_touched_at = max(when) if when else None
            Customer.objects.bulk_create(batch)
            record_consent_changes(
                [
                    (c.pk, True, c.email_consent_at, c.email_consent_source)
                    for c in batch
                    if c.email_consent
                ],
                how="demo",
            )
            emails, phones, terms, tag_links = [], [], [], []
            relatives, answers, all_touches = [], [], []
            for customer, person in rows:
                numbers = [normalise_phone(n) for n, _ in person.phones]
                for i, (address, label) in enumerate(person.emails):
                    emails.append(
                        CustomerEmail(customer=customer, address=address, label=label, position=i)
                    )
                for i, (number, (_, label)) in enumerate(zip(numbers, person.phones, strict=True)):
                    phones.append(
                        CustomerPhone(customer=customer, number=number, label=label, position=i)
                    )
                addresses = [a for a, _ in person.emails]
                for term in sorted(search_terms(customer, addresses, numbers)):
                    terms.append(SearchTerm(customer=customer, term=term))
                for name in rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2, 3])):
                    tag_links.append(through(customer_id=customer.pk, tag_id=gen.tags[name].pk))
                born, family = gen.family(customer)
                relatives.extend(family)
                answers.extend(gen.answers(customer, born, family))
                all_touches.extend(touches[id(customer)])
            CustomerEmail.objects.bulk_create(emails)
            CustomerPhone.objects.bulk_create(phones)
            SearchTerm.objects.bulk_create(terms)
            through.objects.bulk_create(tag_links)
            Relative.objects.bulk_create(relatives)
            ProfileAnswer.objects.bulk_create(answers)
            Touch.objects.bulk_create(all_touches)
            if buyer is not None:
                bought += buyer.write(batch)
            created.extend(batch)
            bar.update(size)
    _add_referrals(rng, created)
    # bulk_create skips the services, so derived data is brought up to date here.
    # The new customers have the highest ids (a list of a million ids would pass
    # SQLite's limit on query parameters).
    new = Customer.objects.filter(pk__gte=created[0].pk) if created else Customer.objects.none()
    recompute_due(new)
    sync_occasions(new)
    ensure_starter_templates()  # programs need templates to offer
    ensure_demo_programs(today)
    add_demo_referrals(created, rng, today)
    add_demo_promises(created, rng, today)
    add_demo_surveys(created, rng, today)
    add_demo_extras(created, rng, today)
    add_demo_events(created, rng, today)
    user = next((u for u in users if u.username == DEMO_USERNAME), None)
    return DemoResult(
        customers=len(created),
        users=users,
        login_user=user,
        password_is_demo=bool(user and user.check_password(DEMO_PASSWORD)),
        purchases=bought,
    )


def ensure_demo_programs(today: dt.date) -> list[Program]:
    """A quarterly update to the customers who said yes to email, and greetings on
    customers' and their children's birthdays (drafts to review), unless they exist."""
    if Program.objects.exists():
        return []
    yes, _ = Segment.objects.get_or_create(
        name="Customers who said yes to email",
        defaults={"filters": {"status": ["customer"], "consent": "yes"}},
    )
    business = Business.get()
    # The first working day of the next quarter, at nine.
    month = ((today.month - 1) // 3 + 1) * 3 + 1
    year = today.year + (month > 12)
    start = dt.datetime(year, (month - 1) % 12 + 1, 1, 9, tzinfo=business.tzinfo)
    plans = [
        Program(name="Quarterly update", kind="recurring", recurrence="quarterly",
                purpose="marketing", segment=yes, starts_at=start, approval="automatic",
                template=Template.objects.get(key="quarterly-update")),
        Program(name="Birthday greetings", kind="greeting", occasion_kind="birthday",
                days_before=0, purpose="relationship", approval="drafts",
                template=Template.objects.get(key="birthday")),
        Program(name="Children's birthdays", kind="greeting", occasion_kind="relative_birthday",
                days_before=2, purpose="relationship", approval="drafts",
                template=Template.objects.get(key="child-birthday")),
    ]  # fmt: skip
    return [save_program(p) for p in plans]


def _add_referrals(rng: random.Random, customers: list[Customer]) -> None:
    """About one customer in fifteen was introduced by another (never by themselves)."""
    if len(customers) < 2:
        return
    referred = []
    for customer in rng.sample(customers, k=max(1, len(customers) // 15)):
        referrer = rng.choice(customers)
        if referrer.pk == customer.pk:
            continue
        customer.referred_by = referrer
        customer.how_we_met = f"Introduced by {referrer.display_name}."
        referred.append(customer)
    Customer.objects.bulk_update(referred, ["referred_by", "how_we_met"], batch_size=500)
