"""The site's words in Indonesian (first: the public is Indonesian) and English, and how each
language writes numbers, percentages and times.

Indonesian groups thousands with a dot and writes decimals with a comma (1.234.567; 50,07%);
English the other way round. Times are stored in UTC and shown in WIB (UTC+7, the time KPU
announces in), with the ISO form kept in the page's <time> elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

LANGUAGES = ("id", "en")
DEFAULT = "id"
WIB = timezone(timedelta(hours=7), "WIB")

# key: (Indonesian, English)
WORDS: dict[str, tuple[str, str]] = {
    "site.name": ("rekap: Hasil Rekapitulasi Suara", "rekap: Vote Recapitulation Results"),
    "site.tagline": (
        "Hasil penghitungan suara dari TPS sampai tingkat tertinggi, dengan foto C.Hasil, "
        "riwayat setiap angka, dan bukti bahwa catatan tidak diubah.",
        "Vote counts from each polling station up to the top tier, with the C.Hasil photos, "
        "the history of every figure, and proof that the record was not altered.",
    ),
    "skip": ("Langsung ke isi", "Skip to content"),
    "language.switch": ("English", "Bahasa Indonesia"),
    "search.label": (
        "Cari wilayah atau TPS (kode atau nama)",
        "Find a region or TPS (code or name)",
    ),
    "search.placeholder": ("mis. 31.71.02 atau Gambir", "e.g. 31.71.02 or Gambir"),
    "search.button": ("Cari", "Search"),
    "search.title": ("Pencarian", "Search"),
    "search.results": ("Hasil pencarian untuk", "Results for"),
    "search.none": ("Tidak ada wilayah yang cocok.", "No region matches."),
    "search.empty": ("Ketik kode atau nama wilayah.", "Type a region's code or name."),
    "search.code_outside": (
        "Kode ini tidak termasuk wilayah pemilihan mana pun.",
        "This code lies in no contest's region.",
    ),
    "search.more": ("Hanya {n} hasil pertama yang ditampilkan.", "Only the first {n} are shown."),
    "filter": ("Saring daftar ini", "Filter this list"),
    "breadcrumb": ("Navigasi wilayah", "Region navigation"),
    "home": ("Beranda", "Home"),
    "elections": ("Pemilihan", "Elections"),
    "elections.none": ("Belum ada pemilihan.", "No election yet."),
    "contests": ("Kontestasi", "Contests"),
    "contest.region": ("Wilayah", "Region"),
    "contest.rule": ("Aturan penentuan pemenang", "Winner rule"),
    "contest.open": ("Lihat hasil", "See the results"),
    "kind.presiden": ("Presiden dan Wakil Presiden", "President and Vice President"),
    "kind.gubernur": ("Gubernur dan Wakil Gubernur", "Governor and Vice Governor"),
    "kind.bupati": ("Bupati dan Wakil Bupati", "Regent and Vice Regent"),
    "kind.walikota": ("Wali Kota dan Wakil Wali Kota", "Mayor and Vice Mayor"),
    "kind.dpr": ("DPR", "House of Representatives (DPR)"),
    "kind.dprd_provinsi": ("DPRD Provinsi", "Provincial council (DPRD)"),
    "kind.dprd_kabkota": ("DPRD Kabupaten/Kota", "Regency/city council (DPRD)"),
    "kind.dpd": ("DPD", "Regional Representative Council (DPD)"),
    "rule.plurality": ("suara terbanyak", "plurality"),
    "rule.majority_runoff": (
        "lebih dari 50%, atau putaran kedua dua teratas",
        "more than 50%, or a run-off of the top two",
    ),
    "rule.presidential": (
        "lebih dari 50% dan sedikitnya 20% di lebih dari separuh provinsi",
        "more than 50% and at least 20% in more than half of the provinces",
    ),
    "rule.single_candidate": (
        "calon tunggal: lebih dari 50% melawan kolom kosong",
        "single pair: more than 50% against the empty column",
    ),
    "tier.nasional": ("Nasional", "Nation"),
    "tier.provinsi": ("Provinsi", "Province"),
    "tier.kabkota": ("Kabupaten/Kota", "Regency/City"),
    "tier.kecamatan": ("Kecamatan", "District (kecamatan)"),
    "tier.desa": ("Kelurahan/Desa", "Village (kelurahan/desa)"),
    "tier.tps": ("TPS", "Polling station (TPS)"),
    "progress": ("Progres TPS", "TPS progress"),
    "progress.detail": ("{n} dari {total} TPS masuk", "{n} of {total} TPS in"),
    "evidence.progress": ("TPS dengan foto C.Hasil", "TPS with a C.Hasil photo"),
    "votes": ("Perolehan suara", "Votes"),
    "number": ("No.", "No."),
    "candidate": ("Pasangan calon", "Candidate pair"),
    "party": ("Partai", "Party"),
    "percent": ("Persen", "Percent"),
    "share": ("Bagian suara sah", "Share of valid votes"),
    "leader": ("Terbanyak", "Leading"),
    "valid": ("Suara sah", "Valid votes"),
    "invalid": ("Suara tidak sah", "Invalid votes"),
    "total": ("Jumlah suara", "Total votes"),
    "dpt": ("DPT", "Registered voters (DPT)"),
    "voters": ("Pengguna hak pilih", "Voters who voted"),
    "turnout": ("Partisipasi", "Turnout"),
    "turnout.note": (
        "pengguna hak pilih terhadap DPT di TPS yang sudah masuk",
        "voters who voted against the DPT of the TPS that are in",
    ),
    "verdict": ("Penentuan pemenang", "Winner"),
    "verdict.decided": ("Terpilih", "Decided"),
    "verdict.runoff": ("Putaran kedua", "Run-off"),
    "verdict.pending": ("Belum final", "Not final yet"),
    "seats": ("Perolehan kursi", "Seats"),
    "seats.status.provisional": ("sementara (angka terkini)", "provisional (current figures)"),
    "seats.status.final": ("final (angka yang ditetapkan)", "final (certified figures)"),
    "seats.district": ("Daerah pemilihan", "Electoral district"),
    "seats.count": ("Kursi", "Seats"),
    "seats.elected": ("Calon terpilih", "Elected"),
    "seats.threshold": ("Ambang batas", "Threshold"),
    "anomalies": ("Anomali", "Anomalies"),
    "anomalies.counts": (
        "{hard} TPS dengan anomali berat, {soft} dengan anomali ringan",
        "{hard} TPS with a hard anomaly, {soft} with a soft one",
    ),
    "anomalies.none": ("Tidak ada anomali.", "No anomaly."),
    "anomalies.list": ("TPS beranomali", "TPS with anomalies"),
    "anomalies.more": (
        "Hanya {n} TPS pertama yang ditampilkan.",
        "Only the first {n} TPS are listed.",
    ),
    "severity.hard": ("berat", "hard"),
    "severity.soft": ("ringan", "soft"),
    "children": ("Rincian per wilayah", "By region"),
    "children.tps": ("Rincian per TPS", "By polling station"),
    "children.none": ("Tidak ada wilayah di bawahnya.", "No region below."),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "version": ("Versi", "Version"),
    "plenary": ("Rapat pleno rekapitulasi", "Recapitulation plenary"),
    "plenary.status": ("Status pleno", "Plenary status"),
    "plenary.not_open": ("belum dibuka", "not opened"),
    "plenary.open": ("sedang berlangsung", "in session"),
    "plenary.certified": ("sudah ditetapkan", "certified"),
    "plenary.reopened": ("dibuka kembali", "reopened"),
    "plenary.none": (
        "Tingkat ini tidak menggelar pleno untuk kontestasi ini.",
        "This tier holds no plenary for this contest.",
    ),
    "certified": ("Ditetapkan", "Certified"),
    "current": ("Terkini", "Current"),
    "difference": ("Selisih", "Difference"),
    "certified.vs.current": (
        "Angka yang ditetapkan dibandingkan dengan angka terkini",
        "Certified figures against the current ones",
    ),
    "certified.same": (
        "Angka terkini sama dengan yang ditetapkan.",
        "The current figures equal the certified ones.",
    ),
    "certified.at": ("Sertifikat nomor {n}, ditetapkan {at}", "Certificate {n}, certified {at}"),
    "certified.superseded": ("digantikan {at}", "superseded {at}"),
    "corrections.since": (
        "Koreksi sejak penetapan (menjelaskan selisih)",
        "Corrections since certification (they explain the difference)",
    ),
    "corrections.none": ("Tidak ada koreksi sejak penetapan.", "No correction since."),
    "certificate": ("Sertifikat (D.Hasil)", "Certificate (D.Hasil)"),
    "certificates": ("Sertifikat", "Certificates"),
    "objections": ("Keberatan saksi dan pengawas", "Objections of witnesses and supervisors"),
    "objections.none": ("Tidak ada keberatan.", "No objection."),
    "objection.raised_by": ("Diajukan oleh", "Raised by"),
    "objection.subject": ("Hal", "Subject"),
    "objection.detail": ("Uraian", "Detail"),
    "objection.outcome": ("Penyelesaian", "Outcome"),
    "objection.accepted": ("diterima", "accepted"),
    "objection.refused": ("tidak diterima", "not accepted"),
    "objection.carried": ("diteruskan ke {code}", "carried up to {code}"),
    "objection.open": ("belum diselesaikan", "not resolved yet"),
    "subject.tps": ("TPS", "a TPS"),
    "subject.region": ("wilayah", "a region"),
    "subject.procedure": ("prosedur", "procedure"),
    "recommendations": ("Rekomendasi Bawaslu", "Bawaslu's recommendations"),
    "recommendation.followed": ("dilaksanakan", "followed"),
    "recommendation.not_followed": ("tidak dilaksanakan", "not followed"),
    "recommendation.unanswered": ("belum dijawab", "not answered yet"),
    "links": ("Tautan", "Links"),
    "link.history": ("Riwayat setiap peristiwa", "History of every event"),
    "link.json": ("Data (JSON)", "Data (JSON)"),
    "link.permalink": ("Tautan tetap ke keadaan ini", "Permanent link to this state"),
    "link.proof": ("bukti inklusi", "inclusion proof"),
    "asof.title": ("Lihat keadaan pada waktu lampau", "See the state at a past moment"),
    "asof.label": (
        "Posisi log atau waktu ISO 8601 (mis. 2024-11-27T18:00:00+07:00)",
        "Log position or ISO 8601 time (e.g. 2024-11-27T18:00:00+07:00)",
    ),
    "asof.button": ("Tampilkan", "Show"),
    "asof.banner": (
        "Anda melihat keadaan pada posisi log {position}, disusun ulang dari log.",
        "You are looking at the state at log position {position}, replayed from the log.",
    ),
    "asof.now": ("Lihat keadaan terkini", "See the current state"),
    "position": ("Posisi log", "Log position"),
    "position.note": (
        "Angka di halaman ini mencakup log sampai posisi {position}.",
        "The figures on this page include the log up to position {position}.",
    ),
    "tps.title": ("TPS {number}", "TPS {number}"),
    "tps.none": ("TPS ini belum mengirim hasil.", "This TPS has not sent its result yet."),
    "photos": ("Foto C.Hasil", "C.Hasil photos"),
    "photos.none": ("Belum ada foto C.Hasil untuk TPS ini.", "No C.Hasil photo for this TPS yet."),
    "photo.alt": (
        "Foto C.Hasil TPS {tps}, halaman {page}",
        "C.Hasil photo of TPS {tps}, page {page}",
    ),
    "photo.page": ("Halaman {page}", "Page {page}"),
    "photo.pdf": ("Berkas PDF halaman {page}", "PDF file, page {page}"),
    "form": ("Isian formulir C.Hasil", "The C.Hasil form"),
    "form.section1": ("I. Data pemilih", "I. Voters"),
    "form.registered": ("Terdaftar", "Registered"),
    "form.voted": ("Menggunakan hak pilih", "Voted"),
    "form.section2": ("II. Surat suara", "II. Ballots"),
    "form.section3": ("III. Pemilih disabilitas yang memilih", "III. Disabled voters who voted"),
    "form.section4": ("IV. Perolehan suara", "IV. Votes"),
    "form.section5": ("V. Jumlah suara", "V. Totals"),
    "form.l": ("L", "M"),
    "form.p": ("P", "F"),
    "form.j": ("J", "Total"),
    "form.l.long": ("Laki-laki", "Men"),
    "form.p.long": ("Perempuan", "Women"),
    "form.j.long": ("Jumlah", "Total"),
    "list.dpt": ("DPT", "DPT (voter list)"),
    "list.dpph": ("DPPh (pindahan)", "DPPh (moved in)"),
    "list.dptb": ("DPTb", "DPTb"),
    "list.dpk": ("DPK (KTP-el)", "DPK (by ID card)"),
    "list.total": ("Jumlah", "Total"),
    "ballots.received": ("Diterima (termasuk cadangan 2%)", "Received (with the 2% reserve)"),
    "ballots.used": ("Digunakan", "Used"),
    "ballots.returned": ("Dikembalikan (rusak/keliru)", "Returned (damaged or mis-marked)"),
    "ballots.unused": ("Tidak digunakan", "Unused"),
    "flagged": ("ditandai anomali", "flagged by an anomaly"),
    "anomaly.rule": ("Aturan", "Rule"),
    "anomaly.severity": ("Tingkat", "Severity"),
    "anomaly.fields": ("Isian", "Fields"),
    "anomaly.message": ("Keterangan", "Message"),
    "R1": ("J = L + P pada setiap baris", "J = L + P on every row"),
    "R2": ("B.4 = B.1 + B.2 + B.3", "B.4 = B.1 + B.2 + B.3"),
    "R3": ("Pemilih dari daftar <= terdaftar", "Voters from a list <= registered on it"),
    "R4": ("Jumlah suara calon = suara sah", "Candidates' votes add up to the valid votes"),
    "R5": ("Suara sah + tidak sah = jumlah suara", "Valid + invalid = total votes"),
    "R6": ("Jumlah suara = surat suara digunakan", "Total votes = ballots used"),
    "R7": ("Surat suara digunakan = pengguna hak pilih", "Ballots used = voters who voted"),
    "R8": (
        "Diterima = digunakan + dikembalikan + tidak digunakan",
        "Received = used + returned + unused",
    ),
    "R9": ("Paling banyak DPT + 2% cadangan", "At most DPT + 2% reserve"),
    "R10": ("Pemilih disabilitas <= pengguna hak pilih", "Disabled voters <= voters who voted"),
    "R11": ("Setiap kotak 0-999", "Every box 0-999"),
    "R12": ("Jumlah partai = suara partai + suara calonnya", "Party total = party + candidates"),
    "versions": ("Setiap versi hasil TPS ini", "Every version of this TPS's result"),
    "versions.compare": ("Perbandingan pembacaan", "The readings side by side"),
    "versions.compare.note": (
        "Hanya isian yang berbeda antarversi yang ditampilkan.",
        "Only the fields that differ between versions are shown.",
    ),
    "versions.field": ("Isian", "Field"),
    "version.n": ("Versi {n}", "Version {n}"),
    "version.current": ("berlaku", "current"),
    "kind.submitted": ("Kiriman pertama (pembacaan C.Hasil)", "First submission (C.Hasil reading)"),
    "kind.corrected": ("Koreksi", "Correction"),
    "kind.corrected.plenary": ("Koreksi dalam pleno {code}", "Correction in plenary {code}"),
    "kind.revoted": ("Pemungutan suara ulang (PSU)", "Re-vote (PSU)"),
    "version.who": ("Oleh", "By"),
    "version.when": ("Waktu", "When"),
    "version.why": ("Alasan", "Why"),
    "version.source": ("Sumber", "Source"),
    "version.objection": ("Keberatan", "Objection"),
    "version.captured": ("Difoto/dicatat", "Captured"),
    "leaf": ("Hash daun log", "Log leaf hash"),
    "history": ("Riwayat", "History"),
    "history.title": ("Riwayat {name}", "History of {name}"),
    "history.intro": (
        "Setiap peristiwa yang membentuk angka wilayah ini, dari yang terlama, langsung dari log.",
        "Every event that shaped this region's figures, oldest first, read from the log itself.",
    ),
    "history.type": ("Peristiwa", "Event"),
    "history.subject": ("TPS / pleno", "TPS / plenary"),
    "history.next": ("Halaman berikutnya", "Next page"),
    "history.none": ("Belum ada peristiwa.", "No event yet."),
    "event.TpsResult.Submitted": ("Hasil TPS dikirim", "TPS result submitted"),
    "event.TpsResult.Corrected": ("Hasil TPS dikoreksi", "TPS result corrected"),
    "event.TpsResult.Revoted": ("Hasil PSU dicatat", "Re-vote result recorded"),
    "event.Plenary.Created": ("Pleno dibuka", "Plenary opened"),
    "event.Plenary.Opened": ("Pleno dibuka", "Plenary opened"),
    "event.Plenary.ObjectionRaised": ("Keberatan diajukan", "Objection raised"),
    "event.Plenary.ObjectionResolved": ("Keberatan diselesaikan", "Objection resolved"),
    "event.Plenary.RecommendationRecorded": ("Rekomendasi dicatat", "Recommendation recorded"),
    "event.Plenary.RecommendationAnswered": ("Rekomendasi dijawab", "Recommendation answered"),
    "event.Plenary.CorrectionRecorded": ("Koreksi dicatat dalam pleno", "Correction in plenary"),
    "event.Plenary.RevoteRecorded": ("PSU dicatat", "Re-vote recorded"),
    "event.Plenary.AnomalyAccepted": ("Anomali diterima", "Anomaly accepted"),
    "event.Plenary.Certified": ("Pleno menetapkan", "Plenary certified"),
    "event.Plenary.Reopened": ("Pleno dibuka kembali", "Plenary reopened"),
    "event.Plenary.BelowReopened": (
        "Dibuka kembali karena tingkat bawah",
        "Reopened from a tier below",
    ),
    "event.Plenary.ResultStepNoted": ("Langkah hasil dicatat", "Step of the result noted"),
    "event.Plenary.ResultRead": ("Hasil TPS dibacakan dalam pleno", "TPS result read in plenary"),
    "event.Dispute.Filed": ("Sengketa diajukan ke MK", "Dispute filed at the Court"),
    "event.Dispute.Ruled": ("Putusan MK", "Court ruling"),
    "event.Determination.Recorded": ("Penetapan hasil", "Result determined"),
    "error.title": ("Tidak ditemukan", "Not found"),
    "error.invalid": ("Permintaan tidak dapat dipenuhi", "The request cannot be answered"),
    "error.back": ("Kembali ke beranda", "Back to the home page"),
    "footer.api": ("API (OpenAPI)", "API (OpenAPI)"),
    "footer.docs": ("Dokumentasi API", "API documentation"),
    "footer.tree": ("Kepala pohon audit yang ditandatangani", "Signed audit tree head"),
    "footer.note": (
        "Setiap angka adalah hasil dari peristiwa yang tercatat dan tidak pernah diubah.",
        "Every figure comes from recorded events that are never altered.",
    ),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
}


def translate(language: str, key: str, **values: object) -> str:
    """The text of `key` in `language` with its {placeholders} filled; the key itself if unknown
    (so a missing word shows, rather than failing the page)."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if language == "en" else pair[0]
    return text.format(**values) if values else text


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def number(value: int | float | None, language: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return _localise(text, language)


def percent(value: float | None, language: str) -> str:
    if value is None:
        return "-"
    return _localise(f"{value:,.2f}", language) + "%"


def signed(value: int, language: str) -> str:
    """A difference: +12, -3 (a real minus sign), 0."""
    if value > 0:
        return "+" + number(value, language)
    if value < 0:
        return "\u2212" + number(-value, language)
    return "0"


def moment(value: str | None, language: str) -> str:
    """A stored time in WIB: 27-11-2024 15:30:00 WIB (Indonesian) or 2024-11-27 15:30:00 WIB."""
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    local = parsed.astimezone(WIB)
    pattern = "%Y-%m-%d %H:%M:%S" if language == "en" else "%d-%m-%Y %H:%M:%S"
    return local.strftime(pattern) + " WIB"


def _localise(text: str, language: str) -> str:
    if language == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


@dataclass(frozen=True)
class Locale:
    """The words and number formats of one language, as the templates use them."""

    language: str

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def label(self, key: str, fallback: str) -> str:
        """The word for `key`, or `fallback` where the catalogue has none (an event type, say)."""
        return translate(self.language, key) if key in WORDS else fallback

    def number(self, value: int | float | None) -> str:
        return number(value, self.language)

    def percent(self, value: float | None) -> str:
        return percent(value, self.language)

    def signed(self, value: int) -> str:
        return signed(value, self.language)

    def moment(self, value: str | None) -> str:
        return moment(value, self.language)
