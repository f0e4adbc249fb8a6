"""Fixed word lists the generator draws from.

Plain data, no logic. The non-ASCII entries are deliberate: real trees carry accents,
CJK text and emoji, and every tool downstream (migrate, verify, the gateway) must keep
them byte for byte.
"""

from __future__ import annotations

STATUSES = ("todo", "in_progress", "blocked", "done")
PRIORITIES = ("low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
FILE_ROLES = ("primary", "supporting", "test")

# (folder name, display name, one-line summary)
PROJECTS = (
    ("healthcare-platform", "Healthcare Workflow Platform", "hospital, patient and workflow"),
    ("logistics-suite", "Logistics Suite", "warehouse, fleet and delivery"),
    ("banking-core", "Banking Core", "accounts, payments and ledger"),
    ("retail-commerce", "Retail Commerce", "catalogue, checkout and fulfilment"),
    ("education-portal", "Education Portal", "courses, grading and enrolment"),
    ("energy-grid", "Energy Grid Operations", "metering, outages and billing"),
    ("travel-booking", "Travel Booking", "flights, hotels and itineraries"),
    ("insurance-claims", "Insurance Claims", "policies, claims and adjusters"),
)

# Epic topics: (folder name, title). Combined with QUALIFIERS when a project needs more.
EPIC_TOPICS = (
    ("patient-management", "Patient Management"),
    ("appointment-scheduling", "Appointment Scheduling"),
    ("revenue-cycle-management", "Revenue Cycle Management"),
    ("clinical-notes", "Clinical Notes"),
    ("lab-results", "Lab Results"),
    ("pharmacy-orders", "Pharmacy Orders"),
    ("telehealth", "Telehealth"),
    ("identity-access", "Identity & Access"),
    ("audit-trail", "Audit Trail"),
    ("notifications", "Notifications"),
    ("reporting-dashboards", "Reporting Dashboards"),
    ("search-indexing", "Search & Indexing"),
    ("data-import", "Data Import"),
    ("document-storage", "Document Storage"),
    ("billing-integration", "Billing Integration"),
    ("mobile-app", "Mobile App"),
    ("localisation", "Localisation"),
    ("accessibility", "Accessibility"),
    ("performance-budget", "Performance Budget"),
    ("admin-console", "Admin Console"),
    ("payments-gateway", "Payments Gateway"),
    ("inventory-tracking", "Inventory Tracking"),
    ("customer-support", "Customer Support"),
    ("onboarding-flow", "Onboarding Flow"),
    ("feature-flags", "Feature Flags"),
    ("observability", "Observability"),
    ("public-api", "Public API"),
    ("data-retention", "Data Retention"),
    ("consent-management", "Consent Management"),
    ("offline-sync", "Offline Sync"),
)
QUALIFIERS = (
    "mobile",
    "reporting",
    "v2",
    "phase-2",
    "integrations",
    "admin",
    "api",
    "migration",
    "analytics",
    "i18n",
    "hardening",
    "pilot",
)

# Given names and family names: (as written, ASCII form for the e-mail address).
GIVEN_NAMES = (
    ("Smrita", "smrita"),
    ("Amarnath", "amarnath"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("Chloé", "chloe"),
    ("Björn", "bjorn"),
    ("Aarav", "aarav"),
    ("Mónica", "monica"),
    ("Olúwaṣeun", "oluwaseun"),
    ("Priya", "priya"),
    ("Grace", "grace"),
    ("Tomás", "tomas"),
    ("Ingrid", "ingrid"),
    ("Kwame", "kwame"),
    ("Amélie", "amelie"),
    ("Dmitri", "dmitri"),
    ("Fatima", "fatima"),
    ("Hannah", "hannah"),
    ("Mateo", "mateo"),
    ("Aiko", "aiko"),
    ("Noah", "noah"),
    ("Élodie", "elodie"),
)
FAMILY_NAMES = (
    ("Singh", "singh"),
    ("Bagineni", "bagineni"),
    ("Álvarez", "alvarez"),
    ("Müller", "muller"),
    ("Kierkegaard", "kierkegaard"),
    ("Nowak", "nowak"),
    ("Dubois", "dubois"),
    ("Ångström", "angstrom"),
    ("Okafor", "okafor"),
    ("García", "garcia"),
    ("Nguyễn", "nguyen"),
    ("O'Connor", "oconnor"),
    ("Þórsson", "thorsson"),
    ("Rossi", "rossi"),
    ("Kowalczyk", "kowalczyk"),
    ("Mensah", "mensah"),
    ("Sato", "sato"),
    ("Fernández", "fernandez"),
)
# Whole names written in CJK / Hangul / Cyrillic script (family name first where usual).
SCRIPT_NAMES = (
    ("山田 太郎", "taro.yamada"),
    ("王 芳", "fang.wang"),
    ("김 민준", "minjun.kim"),
    ("陳 美玲", "meiling.chen"),
    ("Анна Смирнова", "anna.smirnova"),
    ("佐藤 花子", "hanako.sato"),
)
DESIGNATIONS = (
    "Business Analyst",
    "Architect",
    "Engineer",
    "Senior Engineer",
    "QA Lead",
    "Product Manager",
    "Designer",
    "Data Scientist",
    "Site Reliability Engineer",
    "Tech Lead",
    "",
)
ROLES = ("Owner", "Project Lead", "Contributor", "Reviewer", "Stakeholder", "")
EMAIL_DOMAINS = ("company.com", "example.org", "contoso.health", "acme.io")

# Story titles: "<verb> <object> <qualifier>".
VERBS = (
    "Add",
    "Support",
    "Implement",
    "Refactor",
    "Validate",
    "Export",
    "Import",
    "Audit",
    "Cache",
    "Paginate",
    "Reconcile",
    "Archive",
    "Search",
    "Bulk-edit",
    "Preview",
    "Sync",
    "Deduplicate",
    "Notify on changes to",
)
OBJECTS = (
    "patient records",
    "claim batches",
    "appointment slots",
    "provider schedules",
    "invoices",
    "lab orders",
    "care plans",
    "user sessions",
    "audit events",
    "insurance eligibility checks",
    "discharge summaries",
    "payment plans",
    "referral letters",
    "consent forms",
    "shipment manifests",
    "price lists",
    "exam results",
    "meter readings",
)
OBJECT_QUALIFIERS = (
    "",
    "for administrators",
    "in the mobile app",
    "with retries",
    "via the REST API",
    "from the dashboard",
    "across time zones",
    "for large tenants",
    "in CSV and XLSX",
    "behind a feature flag",
)
NFR_TITLES = (
    "p95 latency under 200 ms for {obj}",
    "Encrypt {obj} at rest",
    "WCAG 2.1 AA accessibility for {obj}",
    "Tamper-evident audit log for {obj}",
    "Two-factor authentication before exporting {obj}",
    "Retain {obj} for seven years",
    "Zero-downtime migration of {obj}",
    "Rate-limit writes to {obj}",
    "Graceful degradation when {obj} are unavailable",
)
# Titles and sentences in other scripts and with emoji.
NON_ASCII_TITLES = (
    "Übersetzung der Terminbestätigung",
    "Prise en charge des accents (é, è, ç) dans la recherche",
    "予約確認メールの多言語対応",
    "Emoji status badges ✅ ⏳ 🚧 on the board",
    "Soporte para nombres con ñ y tildes",
    "Поиск пациентов по кириллице",
    "中文患者姓名排序",
    "환자 포털 한국어 지원",
    "Currency formatting for € and ₹ amounts",
    "Straße/Strasse equivalence in address search",
)
NON_ASCII_SENTENCES = (
    "Names such as Zoë Ångström, Nguyễn Văn An and 山田 太郎 must round-trip unchanged.",
    "Les libellés doivent rester lisibles en français : « Rendez-vous confirmé ».",
    "日本語の説明文もそのまま保存されること。",
    "Status chips use emoji (✅ done, 🚧 blocked, ⏳ in progress) in the UI.",
    "Amounts are shown as 1 234,56 € or ₹1,23,456 depending on the locale.",
    "Der Export muss Umlaute (ä, ö, ü, ß) korrekt kodieren.",
    "Пользователь видит сообщение об ошибке на русском языке.",
)
SENTENCES = (
    "The current flow forces users to re-enter data they already provided.",
    "This blocks the finance team at month end and creates manual reconciliation work.",
    "Support tickets show that users abandon the form after the second step.",
    "The change must not alter existing records or their timestamps.",
    "Reuse the existing repository layer instead of querying storage directly.",
    "The API should return a clear error when the input fails validation.",
    "Large tenants hold more than 50,000 items, so the list must be paginated.",
    "Keep the behaviour identical for the file backend and the KV backend.",
    "Auditors need to see who changed what and when.",
    "The screen should load in under a second on a mid-range phone.",
    "Edge cases include empty lists, duplicate submissions and expired sessions.",
    "Feature-flag the rollout so that it can be turned off per tenant.",
    "Document the new fields in the public API reference.",
    "Errors are logged with a correlation id so support can trace them.",
    "The nightly job must be idempotent and safe to re-run after a failure.",
    "Stakeholders agreed to ship the read-only view first and editing later.",
)
CODE_SPANS = (
    "`POST /api/claims`",
    "`GET /api/appointments?from=2025-01-01`",
    "`claimId`",
    "`useAppointments()`",
    "`pmRepository.writeStory`",
    "`status: 'blocked'`",
    "`X-Request-Id`",
    "`retryAfterMs`",
    "`ENVIRONMENT=PROD`",
    "`storyIds`",
)
CODE_BLOCKS = (
    "```ts\nexport async function loadSlots(providerId: string): Promise<Slot[]> {\n"
    "  const res = await fetch(`/api/providers/${providerId}/slots`);\n"
    "  return res.json();\n}\n```",
    '```json\n{\n  "claimId": "CLM-2041",\n  "amount": 1250,\n  "currency": "EUR"\n}\n```',
    "```sql\nSELECT id, status FROM claims WHERE submitted_at > now() - interval '30 days';\n```",
    '```bash\ncurl -s -H "Authorization: Bearer $TOKEN" http://localhost:8080/get/pm:people\n```',
)
SECTION_HEADINGS = (
    "Technical Details",
    "UI Requirements",
    "Goals",
    "Constraints",
    "Out of Scope",
    "Open Questions",
    "Rollout",
    "Risks",
)
BULLETS = (
    "Calendar component with date/time selection",
    "Real-time availability checking",
    "Multi-step wizard with a confirmation screen",
    "Server-side validation mirrors the client rules",
    "Emit an audit event for every state change",
    "Cache results for 60 seconds per tenant",
    "Show an empty state with a call to action",
    "Keyboard navigation for every control",
    "Retry transient failures with exponential back-off",
    "Export respects the user's locale and time zone",
    "Role-based access: only managers can approve",
    "Paginate with a cursor, 50 items per page",
)
CRITERIA = (
    "User can {verb} {obj} from the list view",
    "Given a valid request, when it is submitted, then {obj} are saved",
    "An error message is shown when {obj} fail validation",
    "Changes to {obj} appear in the audit log",
    "Only authorised roles can {verb} {obj}",
    "The action completes in under 2 seconds for 1,000 {obj}",
    "Screen readers announce the result of the action",
    "The feature works offline and syncs when back online",
)
TAGS = (
    "frontend",
    "backend",
    "api",
    "security",
    "performance",
    "a11y",
    "i18n",
    "billing",
    "mobile",
    "tech-debt",
    "ux",
    "compliance",
    "HIPAA",
    "reporting",
    "appointments",
    "calendar",
    "Ledger & Reconciliation",
    "日本語",
    "café",
    "🚀 launch",
)
FILE_DIRS = (
    "src/app/appointments",
    "src/app/patients",
    "src/app/billing",
    "src/components/board",
    "src/components/forms",
    "src/lib/repository",
    "src/lib/kv",
    "src/server/api",
    "tests/e2e",
    "tests/unit",
)
FILE_STEMS = (
    "page",
    "CalendarView",
    "BookingWizard",
    "PatientTable",
    "ClaimForm",
    "storyRepository",
    "kvClient",
    "route",
    "useFilters",
    "StatusBadge",
)
FILE_EXTENSIONS = (".tsx", ".ts", ".test.ts", ".md")
# Values for metadata.custom, which the app keeps without looking inside.
CUSTOM_KEYS = ("jiraKey", "source", "riskScore", "customer", "labels", "sla")
CUSTOMERS = ("Hôpital Saint-Éloi", "Klinikum Süd", "東京メディカル", "Acme Health", "São Lucas")
