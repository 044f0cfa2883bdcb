"""The precedents evaluation set: "new" initiatives with known earlier precedents hidden among distractors.

Each of the 32 topics is a scheme that policy keeps reinventing (the first is the INLOGOV blog's 1993
police and mental-health custody diversion team, "new" again in 2014). For each topic the corpus holds:

- the **precedent**: an earlier document (1988-2004) describing the same scheme *in other words* (a
  paraphrase that shares some of the distinctive vocabulary, not the query's sentences), buried as one
  paragraph among filler paragraphs;
- for most topics a **re-announcement**: a second, later description (2005-2012), also relevant;
- six **distractors**: documents that reuse the topic's own nouns ("police", "mental health", "nurses",
  "cells"...) in a different story (a budget row, a strike, a closure, an inspection, an election, a pay
  award), so they share many of the query's words but not its meaning;
- **leaks**: copies of the query itself dated on or after the query's ``before`` date (2014-2016, some with
  month precision in the very month of ``before``), which must never be returned.

Around them are background documents built from the same sector vocabulary. The query is the "new"
initiative as a 2014 news item would describe it; ``before`` is 2014-01-15. A hit is a relevant document
(precedent or re-announcement) at rank <= 5 (recall@5); MRR uses the rank of the first relevant document
(0 beyond rank 50).

Run as a script to print the figures for lexical and (when the model is installed) fused retrieval::

    python tests/precedents_eval.py [--dense] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 1993
BEFORE = "2014-01-15"


@dataclass(frozen=True)
class Topic:
    key: str
    nouns: tuple[str, ...]  # the sector words that distractors reuse in another story
    query: str  # the "new" initiative, as reported in 2014
    precedent: str  # the same scheme, described years earlier in other words
    again: str | None = None  # a later re-announcement (also relevant)


TOPICS: list[Topic] = [
    Topic("custody-diversion", ("police", "mental health", "nurses", "cells", "officers", "custody"),
          "Police officers and mental health nurses will work together in a new scheme to stop people with "
          "mental illness ending up in police cells when what they need is support and treatment.",
          "A multi-agency team of a specialist social worker, two community psychiatric nurses, a probation "
          "officer and a police inspector diverted people with mental health problems and learning "
          "disabilities away from custody at the police station and the magistrates court.",
          "Street triage pairs a psychiatric nurse with police officers so that people in mental health "
          "crisis are taken to care rather than held in cells."),
    Topic("hospital-at-home", ("hospital", "patients", "beds", "nurses", "wards", "elderly"),
          "A new hospital at home service will let frail elderly patients be treated by visiting nurses and "
          "doctors in their own homes instead of being admitted to a hospital bed.",
          "Acute care teams of district nurses and geriatricians now treat older people in their own homes, "
          "avoiding admission to wards, under a home treatment scheme run from the general hospital.",
          "Virtual wards let community matrons care for elderly patients at home with daily visits, "
          "keeping them out of hospital beds."),
    Topic("prison-education", ("prison", "prisoners", "places", "education", "jail", "inmates"),
          "Prisoners will be offered places on college courses and qualifications inside jail so that they "
          "leave with skills and are less likely to reoffend.",
          "Inmates can now study for vocational qualifications and college certificates while serving their "
          "sentence, a prison education programme meant to cut reoffending on release."),
    Topic("school-breakfast", ("school", "pupils", "children", "meals", "teachers", "breakfast"),
          "Free breakfast clubs will open in schools in deprived areas so that no child starts lessons "
          "hungry, helping pupils concentrate and attainment rise.",
          "Schools serving poor estates have begun morning breakfast clubs giving hungry children a free "
          "meal before lessons, and teachers report better concentration in class.",
          "A pilot of free school breakfasts for hungry pupils before the first lesson is to be extended "
          "to every deprived area."),
    Topic("troubled-families", ("families", "council", "social workers", "children", "benefits", "crime"),
          "Every troubled family will be given a single key worker who coordinates all the agencies "
          "involved, instead of a dozen services visiting the same household separately.",
          "Intensive family support projects assign one dedicated key worker to each problem family to "
          "coordinate the many agencies that had each been dealing with the household separately.",
          "Family intervention projects give families with multiple problems one named worker to "
          "coordinate the agencies around them."),
    Topic("personal-budgets", ("social care", "council", "disabled", "care", "budget", "users"),
          "Disabled people will control their own personal budget and choose the care and support they buy "
          "rather than accepting services chosen by the council.",
          "Direct payments let disabled people receive cash from the social services department and buy "
          "their own care and support, putting users in control instead of the council."),
    Topic("police-community-support", ("police", "officers", "patrols", "neighbourhood", "crime", "force"),
          "Named local officers will be assigned to every neighbourhood so that residents know who patrols "
          "their streets and can meet them at regular beat meetings.",
          "Every ward is to have its own dedicated beat constable on foot patrol whom residents know by name "
          "and can meet at monthly neighbourhood surgeries.",
          "Neighbourhood policing teams will give each area named officers who hold regular public meetings "
          "with residents."),
    Topic("work-programme", ("jobs", "unemployed", "benefits", "jobcentre", "welfare", "employment"),
          "Private providers will be paid by results for getting long-term unemployed people into lasting "
          "jobs under a new welfare to work programme.",
          "Contractors placing the long-term jobless into work will be paid according to the number who "
          "stay in employment, an outcome payment scheme for employment zones.",
          "Welfare-to-work providers will receive most of their fee only when claimants stay in a job for "
          "months."),
    Topic("congestion-charge", ("traffic", "roads", "drivers", "transport", "city", "cars"),
          "Drivers will pay a daily charge to enter the congested city centre, with the money spent on "
          "buses, as a new plan to cut traffic jams.",
          "Motorists would be charged a fee to bring their cars into the centre of town at peak hours, "
          "and the revenue would fund public transport, under road pricing proposals to ease congestion."),
    Topic("garden-cities", ("housing", "homes", "towns", "planning", "land", "builders"),
          "A new generation of garden cities will be built on open land, self-contained towns with homes, "
          "jobs and green space planned together from the start.",
          "The government will designate sites for new towns on greenfield land, each planned as a "
          "self-contained community with housing, employment and parks laid out together.",
          "Eco-towns of several thousand homes are to be built on fresh sites with their own jobs, schools "
          "and green spaces."),
    Topic("right-to-buy-housing-associations", ("housing", "tenants", "homes", "council", "rent", "association"),
          "Housing association tenants will be given the right to buy the homes they rent at a large "
          "discount, extending home ownership.",
          "Tenants of housing associations may purchase their rented property at a discount under a "
          "voluntary purchase grant, extending the opportunity of ownership."),
    Topic("elected-mayors", ("council", "mayor", "election", "voters", "city", "leaders"),
          "Cities will hold referendums on having a directly elected mayor to give local government strong, "
          "visible leadership accountable to voters.",
          "Towns may choose to replace the council leader and committees with a mayor elected directly by "
          "the people, offering more visible and accountable civic leadership."),
    Topic("pupil-premium", ("school", "pupils", "funding", "teachers", "budget", "children"),
          "Schools will receive extra money for every pupil from a poor background, a premium to be spent on "
          "closing the attainment gap.",
          "Additional funding will follow each disadvantaged child, so that schools with many pupils from "
          "deprived homes get more cash to raise their attainment.",
          "A deprivation weighting will give schools more money per pupil eligible for free meals to narrow "
          "the gap."),
    Topic("troops-to-teachers", ("army", "troops", "teachers", "school", "soldiers", "training"),
          "Former soldiers leaving the armed forces will be trained as teachers and sent into tough schools "
          "to instil discipline.",
          "Service leavers from the forces are being recruited into teaching, with training bursaries "
          "offered to ex-servicemen willing to work in difficult classrooms."),
    Topic("fuel-poverty-insulation", ("energy", "homes", "bills", "pensioners", "heating", "winter"),
          "Free loft and cavity wall insulation will be fitted to the homes of pensioners and poor families "
          "to cut their heating bills and end fuel poverty.",
          "Grants will pay for draught proofing and roof insulation in low-income and elderly households so "
          "that they can afford to keep warm, under a home energy efficiency scheme.",
          "The warm front scheme insulates lofts and walls of poorer homes to lower fuel bills."),
    Topic("nhs-walk-in", ("hospital", "doctors", "patients", "surgery", "nurses", "clinic"),
          "Walk-in health centres open seven days a week will let patients see a nurse or doctor without an "
          "appointment, easing pressure on GP surgeries and emergency departments.",
          "Drop-in clinics staffed by nurses, open evenings and weekends with no appointment needed, are to "
          "relieve family doctors and accident and emergency units."),
    Topic("youth-service", ("young people", "youth", "crime", "council", "clubs", "summer"),
          "Sixteen year olds will spend several weeks of summer on a national citizen service programme of "
          "outdoor challenges and community projects with teenagers from other backgrounds.",
          "A community service scheme for school leavers will bring together youngsters from different "
          "backgrounds for residential activities and volunteering projects in the holidays."),
    Topic("sure-start", ("children", "families", "parents", "centres", "nursery", "health"),
          "Children's centres in every community will bring together health visitors, childcare and parenting "
          "support for families with young children under one roof.",
          "Family centres will offer nursery places, advice for parents and health checks for under-fives "
          "in a single building in poorer neighbourhoods.",
          "Sure start local programmes join up early education, health and family support for young "
          "children in deprived areas."),
    Topic("free-schools", ("school", "parents", "teachers", "education", "local authority", "funding"),
          "Parents, charities and teachers will be able to set up their own state-funded free schools outside "
          "local authority control.",
          "Grant-maintained schools can opt out of local education authority control and receive their "
          "funding directly from central government, run by their own governors and parents."),
    Topic("restorative-justice", ("prison", "offenders", "victims", "court", "police", "crime"),
          "Victims of crime will be able to meet the offender face to face in restorative conferences so "
          "that offenders understand the harm caused and make amends.",
          "Mediation schemes bring young offenders and their victims together so that the offender hears the "
          "effect of the crime and agrees reparation."),
    Topic("drug-treatment-orders", ("drugs", "court", "offenders", "prison", "treatment", "addicts"),
          "Courts will be able to order drug-addicted offenders into compulsory treatment with regular testing "
          "instead of a short prison sentence.",
          "Magistrates may sentence addicts who commit crime to supervised rehabilitation with random urine "
          "testing rather than jail, under drug treatment and testing orders."),
    Topic("bus-deregulation-franchise", ("buses", "transport", "routes", "fares", "council", "city"),
          "City regions will be able to franchise bus routes, setting fares and timetables themselves and "
          "contracting operators, as in London.",
          "Passenger transport authorities may put local bus services out to tender under quality contracts, "
          "fixing routes, fares and frequencies and paying operators to run them."),
    Topic("broadband-rural", ("rural", "villages", "internet", "farmers", "countryside", "connection"),
          "Superfast broadband will be rolled out to remote villages and farms that commercial providers have "
          "left behind, with public subsidy.",
          "Public money will extend high speed internet connections to isolated rural communities which the "
          "telecoms companies consider unprofitable to reach."),
    Topic("apprenticeships", ("young people", "jobs", "training", "employers", "skills", "college"),
          "Employers will be paid to take on school leavers as apprentices, combining paid work with "
          "training at college toward a recognised qualification.",
          "Modern apprenticeships offer school leavers a wage while they learn a trade, with employers "
          "receiving grants and day release to college for a qualification.",
          "An apprenticeship grant for employers will fund firms that take on young apprentices."),
    Topic("city-deals", ("city", "council", "growth", "investment", "transport", "ministers"),
          "Cities will negotiate individual deals with ministers, gaining control over transport and skills "
          "budgets in return for plans to drive local economic growth.",
          "City challenge lets urban authorities bid for central funds with their own regeneration plans, "
          "winning control of money in exchange for partnership and results."),
    Topic("one-stop-shop", ("council", "services", "residents", "office", "benefits", "housing"),
          "Residents will be able to deal with housing, benefits and council tax queries at a single "
          "customer service centre rather than visiting separate offices.",
          "A one-stop shop in the town hall will handle housing repairs, benefit claims and rates enquiries "
          "at one counter, so the public no longer go from office to office."),
    Topic("sugar-tax", ("food", "health", "obesity", "children", "industry", "tax"),
          "A levy on sugary soft drinks will push manufacturers to cut sugar and raise money for school sport, "
          "as part of a plan to tackle childhood obesity.",
          "Health campaigners want a duty on fizzy drinks high in sugar, with the proceeds spent on physical "
          "education, to reduce obesity among youngsters."),
    Topic("flood-defence-partnership", ("flood", "rivers", "farmers", "agency", "homes", "drainage"),
          "Landowners upstream will be paid to store flood water on their fields, slowing rivers so that "
          "towns downstream are protected from flooding.",
          "Farmers could be compensated for letting washland meadows flood in winter, holding back water "
          "that would otherwise inundate homes further down the valley."),
    Topic("care-home-inspection-ratings", ("care homes", "elderly", "inspection", "residents", "council", "standards"),
          "Care homes will be given public star ratings after inspection so that families can compare the "
          "quality of care for elderly relatives.",
          "Inspectors will publish grades for every residential home for older people, letting relatives "
          "judge standards of care before choosing a place."),
    Topic("tagging-curfew", ("prison", "offenders", "police", "court", "crime", "probation"),
          "Offenders released early will wear electronic tags enforcing a night-time curfew at home, freeing "
          "prison places.",
          "Electronic monitoring of curfew orders, with a tag worn on the ankle that tells a control centre "
          "if the offender leaves the house at night, will ease jail overcrowding."),
    Topic("gp-fundholding-commissioning", ("doctors", "hospital", "patients", "budget", "health", "practices"),
          "Family doctors will hold budgets and commission hospital care for their patients, deciding where "
          "the money is spent.",
          "Fundholding practices manage a budget to buy hospital treatment for their patients, so that "
          "general practitioners control where health money goes.",
          "Practice-based commissioning hands GP practices an indicative budget to purchase hospital "
          "services for their lists."),
    Topic("school-sport-partnerships", ("school", "sport", "pupils", "teachers", "children", "clubs"),
          "Secondary schools will lend specialist PE teachers to local primaries so that every child gets "
          "two hours of competitive sport a week.",
          "Specialist sports colleges will share physical education staff with neighbouring primary schools "
          "to raise the amount of games and competition for every youngster."),
]

# Stories that reuse a topic's nouns in another sense: budgets, strikes, closures, inspections, votes.
DISTRACTOR_TEMPLATES = [
    ("Ministers confirmed that spending on {a} will fall by {n} per cent next year, and leaders warned that "
    "{b} and {c} would bear the brunt of the {a} budget cuts."),
    ("Union members working in {a} voted to strike over pay, saying {b} had seen no rise for {n} years while "
    "the cost of living and the demands on {c} kept growing."),
    ("The closure of {n} {a} sites was announced yesterday, and campaigners said {b} and {c} in the area would "
    "be left without a local service after the consultation."),
    ("An inspection report rated the {a} service inadequate, finding that {b} records were poorly kept and "
    "that {c} complaints took {n} weeks to answer."),
    ("Candidates in the local election clashed over {a}, with the opposition promising {n} million pounds "
    "for {b} and attacking the record on {c}."),
    ("A review of {a} contracts found that {n} suppliers had overcharged for {b}, and auditors asked why "
    "{c} managers had not spotted the errors sooner."),
    ("Figures published today show {n} thousand complaints about {a}, up on last year, as {b} and {c} "
    "struggle with rising demand and falling morale."),
    ("The new headquarters for {a} opened {n} months late and over budget, and critics said the money would "
    "have been better spent on {b} and {c}."),
]

FILLER = [
    ("The chief executive said the organisation would continue to listen to the views of the public and "
    "publish its annual report in the autumn."),
    ("Members of the committee asked for further information and agreed to return to the matter at their next "
    "meeting after the summer recess."),
    ("A spokesman declined to comment on the figures, saying that a full statement would be made to the "
    "council in due course."),
    ("The weather over the weekend was mixed, with sunshine in the east and heavy showers moving in from the "
    "west by Sunday evening."),
    ("Officials said the timetable remained on track, although several contracts had still to be signed and "
    "the final costs were not yet known."),
    ("Local businesses welcomed the announcement, but some traders warned that parking charges in the town "
    "centre were keeping shoppers away."),
    ("The report runs to more than two hundred pages and includes detailed tables for each region, which are "
    "available on request."),
    ("Opposition members accused the government of rushing the decision and called for a full debate before "
    "any further money was committed."),
]
SOURCES = ["Evening Courier", "The Northern Chronicle", "Westminster Review", "City Herald", "Borough News",
           "The Public Ledger", "Local Government Chronicle", "The Examiner"]


def _date(rng: random.Random, y0: int, y1: int) -> str:
    return f"{rng.randint(y0, y1)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _doc(rng: random.Random, core: str) -> str:
    """A document: filler paragraphs with the one that matters somewhere in the middle."""
    paras = [" ".join(rng.sample(FILLER, 3)) for _ in range(rng.randint(1, 3))]
    paras.insert(rng.randint(0, len(paras)), core)
    return "\n\n".join(paras)


def _distractor(rng: random.Random, topic: Topic, template: str) -> str:
    a, b, c = rng.sample(topic.nouns, 3)
    return template.format(a=a, b=b, c=c, n=rng.randint(2, 40))


def build(seed: int = SEED, background: int = 400) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The corpus records (JSONL-ready) and the queries ``{qid, text, before, relevant, leaks}``."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    queries: list[dict[str, Any]] = []

    def add(doc_id: str, date: str, text: str, title: str) -> None:
        records.append({"id": doc_id, "date": date, "source": rng.choice(SOURCES), "title": title, "text": text})

    for i, t in enumerate(TOPICS):
        relevant = [f"{t.key}-precedent"]
        add(relevant[0], _date(rng, 1988, 2004), _doc(rng, t.precedent), f"{t.key} scheme")
        if t.again:
            relevant.append(f"{t.key}-again")
            add(relevant[1], _date(rng, 2005, 2012), _doc(rng, t.again), f"{t.key} relaunched")
        for j, template in enumerate(rng.sample(DISTRACTOR_TEMPLATES, 6)):
            add(f"{t.key}-distractor-{j}", _date(rng, 1988, 2013), _doc(rng, _distractor(rng, t, template)),
                f"{t.key} row")
        # The query itself, reported on or after `before`: must never come back.
        leaks = [f"{t.key}-leak-day", f"{t.key}-leak-month"]
        add(leaks[0], f"{rng.randint(2014, 2016)}-{rng.randint(2, 12):02d}-{rng.randint(1, 28):02d}",
            _doc(rng, t.query), f"{t.key} new")
        add(leaks[1], BEFORE[:7], _doc(rng, t.query), f"{t.key} new (month-dated)")  # may be after the 15th
        queries.append({"qid": i + 1, "key": t.key, "text": t.query, "before": BEFORE, "relevant": relevant,
                        "leaks": leaks})
    for k in range(background):
        t = rng.choice(TOPICS)
        add(f"background-{k}", _date(rng, 1988, 2016),
            _doc(rng, _distractor(rng, t, rng.choice(DISTRACTOR_TEMPLATES))), "news in brief")
    return records, queries


def write(directory: Path, seed: int = SEED) -> tuple[Path, list[dict[str, Any]]]:
    """Write the corpus as JSONL in ``directory``; return its path and the queries."""
    records, queries = build(seed)
    path = directory / "precedents-eval.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path, queries


def evaluate(corpus: Any, queries: list[dict[str, Any]], *, dense: bool | str = False, k: int = 5,
             depth: int = 50) -> dict[str, Any]:
    """recall@k and MRR of precedents retrieval over ``queries`` on an opened Corpus."""
    from policypulse.precedents import find_precedents

    per_query, hits, rr, leaked, earliest_ok = [], 0, 0.0, 0, 0
    strong_tp = strong_fp = strong_fn = 0
    for q in queries:
        res = find_precedents(corpus, q["text"], before=q["before"], limit=depth, dense=dense)
        ranked = list(res.results["doc_id"])
        is_rel = res.results["doc_id"].isin(q["relevant"])
        strong_tp += int((res.results["strong"] & is_rel).sum())
        strong_fp += int((res.results["strong"] & ~is_rel).sum())
        strong_fn += int((~res.results["strong"] & is_rel).sum()) + sum(d not in ranked for d in q["relevant"])
        earliest_ok += bool(res.earliest) and res.earliest["doc_id"] == q["relevant"][0]
        rank = next((i + 1 for i, d in enumerate(ranked) if d in q["relevant"]), None)
        hits += rank is not None and rank <= k
        rr += 1.0 / rank if rank else 0.0
        leaked += sum(d in q["leaks"] for d in ranked)
        per_query.append({"qid": q["qid"], "key": q["key"], "rank": rank, "top": ranked[:3],
                          "earliest": res.earliest["doc_id"] if res.earliest else None})
    n = len(queries)
    return {"queries": n, f"recall@{k}": hits / n, "mrr": rr / n, "leaked": leaked,
            "earliest_is_precedent": earliest_ok / n,
            "strong_precision": strong_tp / max(strong_tp + strong_fp, 1),
            "strong_recall": strong_tp / max(strong_tp + strong_fn, 1), "per_query": per_query}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dense", action="store_true", help="also evaluate fused (BM25 + MiniLM) retrieval")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--store", help="keep the store here (default: a temporary directory)")
    args = ap.parse_args(argv)

    import policypulse
    from policypulse.corpus.ingest import ingest
    from policypulse.precedents import build_index

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.store) if args.store else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        path, queries = write(root)
        store = root / "store"
        if not store.exists():
            ingest(str(store), [str(path)], fmt="jsonl")
        out: dict[str, Any] = {}
        with policypulse.open(store) as corpus:
            t = time.perf_counter()
            info = build_index(corpus, dense=args.dense)
            out["index"] = {**info, "build_seconds": round(time.perf_counter() - t, 2)}
            t = time.perf_counter()
            out["lexical"] = evaluate(corpus, queries, dense=False)
            out["lexical"]["seconds"] = round(time.perf_counter() - t, 2)
            if args.dense:
                t = time.perf_counter()
                out["fused"] = evaluate(corpus, queries, dense=True)
                out["fused"]["seconds"] = round(time.perf_counter() - t, 2)
    for name in ("lexical", "fused"):
        if name in out:
            r = out[name]
            print(f"{name:8s} queries={r['queries']} recall@5={r['recall@5']:.3f} MRR={r['mrr']:.3f} "
                  f"leaked={r['leaked']} earliest-strong-is-precedent={r['earliest_is_precedent']:.3f} "
                  f"strong: precision={r['strong_precision']:.3f} recall={r['strong_recall']:.3f} "
                  f"({r['seconds']} s)")
            for q in r["per_query"]:
                if not q["rank"] or q["rank"] > 5:
                    print(f"    miss: {q['key']} rank={q['rank']} top={q['top']}")
    print(f"index: {out['index']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
