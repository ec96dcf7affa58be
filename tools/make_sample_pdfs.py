"""Generate the sample PDF documents in data/docs/pdf/.

The texts below were written for this project and are released under CC0 1.0,
like the rest of the sample corpus (see data/README.md). The PDFs are committed;
re-run this script only if a text changes:

    .venv/bin/pip install fpdf2
    .venv/bin/python tools/make_sample_pdfs.py

Only the PDF core fonts are used, so every text must be Latin-1.
Output is deterministic: fixed creation date, and fpdf2 derives the file /ID from the content.
"""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from fpdf import FPDF

OUT_DIR = Path(__file__).resolve().parent.parent / "data" / "docs" / "pdf"
CREATED = _dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=_dt.UTC)

# Each document: (file name, title, author, subject, sections).
# A section is (heading or None, [paragraphs]); a paragraph starting with "- " is a bullet.
DOCUMENTS: list[tuple[str, str, str, str, list[tuple[str | None, list[str]]]]] = [
    (
        "home-energy-audit.pdf",
        "A Do-It-Yourself Home Energy Audit",
        "Hannah Greaves",
        "Finding where a house loses heat and what to fix first",
        [
            (
                None,
                [
                    "Professional energy assessments are useful, but a careful homeowner can find most of the "
                    "problems in a house with a torch, a notebook, an incense stick and a free weekend. This "
                    "guide walks through a house from the roof down, explains what to look for at each stage, "
                    "and ends with a way to decide which improvements are worth paying for. It is written for "
                    "houses in cool and temperate climates, where heating is the largest share of the energy bill.",
                ],
            ),
            (
                "1. Start with the bills",
                [
                    "Before looking at the building, look at what it uses. Collect twelve months of gas, oil "
                    "and electricity bills, or download meter readings from your supplier. Note the total "
                    "kilowatt-hours for each fuel and divide by the heated floor area of the house. A "
                    "well-insulated modern home might use 50 to 100 kWh per square metre per year for heating; "
                    "an uninsulated older house can use three or four times as much.",
                    "Compare summer and winter months. The summer figure is roughly your baseline for hot water, "
                    "cooking and appliances; the extra in winter is space heating. If the winter excess is large, "
                    "the fabric of the building and the heating system are where the savings are. If the baseline "
                    "itself is high, look at appliances, hot water habits and anything left running all the time.",
                    "Read the electricity meter late at night when everything that can be off is off. That "
                    "reading is your standby load. Old fridges in the garage, aquarium heaters, dehumidifiers, "
                    "games consoles left in standby and network equipment can add up to a surprising number of "
                    "watts running all year.",
                ],
            ),
            (
                "2. The loft and roof",
                [
                    "Warm air rises, and an uninsulated roof can account for a quarter of a house's heat loss. "
                    "Go into the loft with a torch and a tape measure, and measure the depth of insulation "
                    "between and over the joists. Current recommendations in the UK are around 270 mm of mineral "
                    "wool; many older homes have 50 or 100 mm, compressed and patchy.",
                    "- Look for gaps: corners that were hard to reach, areas around the hatch, places where "
                    "insulation has been pushed aside to lay boards or run cables.",
                    "- Check the loft hatch itself. An uninsulated, unsealed hatch is a chimney for warm air. "
                    "Glue insulation board to the top of it and fit draught-strip around the frame.",
                    "- Note where pipes and the cold-water tank are. Insulation goes under the tank, not over it, "
                    "so that warmth from below keeps it from freezing, and pipes in the cold space need lagging.",
                    "- Do not cover the eaves. Air must flow in at the edges of the roof to ventilate the loft and "
                    "prevent condensation on the underside of the roof covering.",
                    "If the loft has been converted into a room, the insulation is in the sloping ceilings and "
                    "is much harder to inspect. Feel the walls and ceiling on a cold day: a noticeably cold "
                    "surface is poorly insulated.",
                ],
            ),
            (
                "3. Walls",
                [
                    "Walls are usually the largest area of the building envelope. Find out how yours are built. "
                    "In Britain, houses built between roughly the 1920s and 1990s usually have cavity walls: two "
                    "leaves of masonry with a gap between. Measure the wall thickness at a window or door: more "
                    "than about 260 mm of brick suggests a cavity. Brick laid with only the long sides showing "
                    "(stretcher bond) is another sign. Older houses with alternating long and short bricks usually "
                    "have solid walls.",
                    "Unfilled cavities can be insulated by blowing in beads or mineral fibre through small drilled "
                    "holes, one of the most cost-effective improvements available. Look for a regular pattern of "
                    "filled holes in the mortar, which means it has already been done. Solid walls need internal "
                    "or external insulation, which is far more expensive and disruptive, so it usually makes sense "
                    "to combine it with other renovation work.",
                    "Look for damp patches, mould in corners and behind furniture, and tide marks. Cold spots on "
                    "walls where the insulation is missing, or where a concrete lintel bridges the cavity, "
                    "attract condensation. Mould is often a sign of a thermal bridge rather than a leak.",
                ],
            ),
            (
                "4. Draughts: the incense stick test",
                [
                    "Uncontrolled air leakage can be responsible for a fifth or more of heat loss in an older "
                    "house, and it is the cheapest problem to fix. Choose a cold, windy day. Close all windows "
                    "and external doors, turn off any extractor fans and the boiler's fan if possible, and walk "
                    "slowly round the house with a lit incense stick or a damp hand. Wherever the smoke streams "
                    "sideways or the hand feels cold, air is moving.",
                    "Usual suspects:",
                    "- gaps around window frames and between sashes;",
                    "- external doors, letterboxes and keyholes;",
                    "- suspended timber floors, especially gaps between floorboards and at the skirting;",
                    "- unused chimneys, which can pull warm air out of a room all winter;",
                    "- holes where pipes and cables pass through walls and floors, including under the sink "
                    "and behind the toilet;",
                    "- recessed ceiling lights under a cold loft;",
                    "- loft hatches and the gap around the top of the stairs in a converted loft.",
                    "Seal with the right material for each gap: compression or brush strips for doors and "
                    "windows, flexible sealant for fixed gaps, expanding foam for larger holes, a chimney balloon "
                    "or a removable cap for disused flues. Always keep deliberate ventilation - trickle vents, "
                    "airbricks and extractor fans in kitchens and bathrooms - working. The aim is to stop "
                    "accidental leaks, not to seal the house so tightly that moisture builds up.",
                ],
            ),
            (
                "5. Windows and doors",
                [
                    "Single glazing loses roughly twice as much heat as basic double glazing, and modern double "
                    "or triple glazing does much better still. But replacing windows is expensive and pays back "
                    "slowly. Before replacing, consider cheaper steps: draught-proofing, secondary glazing, heavy "
                    "lined curtains that are closed at dusk and do not hang over radiators, and repairing rotten "
                    "frames. In historic buildings, secondary glazing is often the only permitted option anyway.",
                    "Check double glazing for failed seals: misting between the panes means the gas fill has "
                    "escaped and the unit performs worse. Individual sealed units can usually be replaced without "
                    "changing the whole frame.",
                ],
            ),
            (
                "6. Floors",
                [
                    "Suspended timber ground floors, common in older houses, have a ventilated void beneath. "
                    "That ventilation is essential to keep the joists dry, but it also means the floorboards "
                    "sit above what is effectively outside air. Insulation can be fitted between the joists from "
                    "below if there is access through a cellar or a crawl space, or from above by lifting the "
                    "boards. At minimum, seal the gaps between the boards and along the skirting.",
                    "Solid concrete floors lose less heat, mostly around the edges, and are rarely worth "
                    "insulating unless they are being dug up for another reason.",
                ],
            ),
            (
                "7. Heating and hot water",
                [
                    "Find the boiler or heat source, note its make, model and age, and look up its efficiency. "
                    "A non-condensing boiler more than fifteen years old may convert only 70 to 80 percent of its "
                    "fuel into useful heat, against 90 percent or more for a well-set-up condensing model.",
                    "Controls matter as much as the boiler. Look for a programmable timer, a room thermostat in "
                    "a sensible place (not next to a radiator or in a draughty hall), and thermostatic valves on "
                    "radiators in rooms that are used less. Lowering the thermostat by one degree typically saves "
                    "around 6 to 10 percent of heating energy.",
                    "Condensing boilers and heat pumps are most efficient when the water flowing to the radiators "
                    "is relatively cool. Many boilers are left at the factory setting of 70 or 80 degrees Celsius; "
                    "turning the flow temperature down to around 55 degrees often keeps the house just as warm "
                    "while letting the boiler condense and recover waste heat. Try it on a cold week and adjust.",
                    "Check the hot water cylinder for a proper factory-applied foam jacket, lag accessible hot "
                    "pipes, and bleed radiators that are cold at the top.",
                ],
            ),
            (
                "8. Appliances and lighting",
                [
                    "Replace remaining incandescent and halogen bulbs with LEDs; they use around 80 to 90 percent "
                    "less electricity. A cheap plug-in power meter will tell you exactly what each appliance uses "
                    "over a day. Fridges and freezers run all year, so an old, inefficient one can be worth "
                    "replacing. Defrost freezers regularly and check that door seals grip a sheet of paper firmly.",
                ],
            ),
            (
                "9. Deciding what to do first",
                [
                    "Write every problem you found in one list, then estimate a cost and a likely annual saving "
                    "for each. Divide cost by saving to get a rough payback time in years. As a general order "
                    "of priority:",
                    "- Free and very cheap: controls, flow temperature, curtains, closing off unused chimneys, "
                    "draught-proofing, LEDs, hot water insulation.",
                    "- Moderate cost, quick payback: topping up loft insulation, cavity wall insulation, floor "
                    "insulation where accessible.",
                    "- Large projects: solid wall insulation, new windows, a heat pump, solar panels. Plan these "
                    "together, because reducing heat loss first means a smaller and cheaper heating system.",
                    "Repeat the meter readings after each change so you can see what actually worked. The "
                    "numbers are often the most motivating part of the whole exercise.",
                ],
            ),
        ],
    ),
    (
        "knitting-gauge.pdf",
        "Why Knitting Gauge Matters",
        "Beatrix Lund",
        "Swatching before starting a garment",
        [
            (
                None,
                [
                    "Every knitting pattern states a gauge (called tension in British patterns): the number "
                    "of stitches and rows in a 10 cm square, for example 22 stitches and 30 rows in stocking "
                    "stitch on 4 mm needles. The measurements of the finished garment are calculated from it. "
                    "If your gauge differs, your garment will be a different size, however carefully you "
                    "follow every other instruction.",
                ],
            ),
            (
                "How much difference it makes",
                [
                    "Suppose a sweater has 220 stitches around the chest and is designed for a gauge of 22 "
                    "stitches per 10 cm, giving 100 cm. If you knit 20 stitches per 10 cm, the same 220 "
                    "stitches measure 110 cm. If you knit 24, they measure about 92 cm. Half a stitch per "
                    "centimetre is a whole size. Yarn quantities change too: a looser fabric uses more yarn.",
                ],
            ),
            (
                "Knitting a swatch",
                [
                    "- Cast on enough stitches for at least 15 cm, so you can measure 10 cm away from the edges.",
                    "- Work in the stitch pattern the garment uses; cables and ribbing pull in very differently.",
                    "- Knit at least 15 cm of rows, in the same way you will knit the garment: if the body is "
                    "knitted in the round, swatch in the round or knit every row across the front only.",
                    "- Wash and dry the swatch exactly as you will wash the finished piece. Many yarns relax or "
                    "bloom after washing, and superwash wool can grow considerably.",
                    "- Lay it flat without stretching, and count the stitches across 10 cm in several places.",
                ],
            ),
            (
                "Adjusting",
                [
                    "Too many stitches per 10 cm means you knit tightly: go up a needle size. Too few means you "
                    "knit loosely: go down a size. Change needles rather than trying to knit more loosely or "
                    "tightly on purpose; your hands will drift back to their natural tension within a few rows.",
                    "Matching the stitch count matters most for width. Row gauge is often less critical because "
                    "most patterns tell you to knit to a length in centimetres, but it does matter for raglan "
                    "yokes, sleeve shaping and anything worked over a fixed number of rows.",
                ],
            ),
            (
                "When you can skip it",
                [
                    "Scarves, blankets and shawls where size is not important can be started without a "
                    "swatch. For anything that must fit a body, the hour spent swatching is the best "
                    "insurance against weeks of work that ends up in a drawer.",
                ],
            ),
        ],
    ),
    (
        "lunar-phases.pdf",
        "Why the Moon Has Phases",
        "Erik Solberg",
        "A short explanation for the astronomy club handout",
        [
            (
                None,
                [
                    "The Moon produces no light of its own. We see it by reflected sunlight, and at every "
                    "moment exactly half of it is lit, the half facing the Sun. What changes through the month "
                    "is how much of that sunlit half faces us.",
                ],
            ),
            (
                "The cycle",
                [
                    "- New moon: the Moon lies roughly between the Earth and the Sun. Its lit side faces away "
                    "from us and it is invisible, lost in the Sun's glare.",
                    "- Waxing crescent: a few days later it has moved along its orbit and a thin sliver of the "
                    "lit side appears in the western sky after sunset.",
                    "- First quarter: a week after new moon, the Moon is at a right angle to the Sun as seen "
                    "from Earth, and we see half of the disc lit. It is high in the south at sunset.",
                    "- Waxing gibbous: more than half lit, growing each night.",
                    "- Full moon: the Moon is on the opposite side of the Earth from the Sun. The whole lit face "
                    "points at us; it rises at sunset and sets at sunrise.",
                    "- Waning gibbous, last quarter and waning crescent follow in reverse, with the last "
                    "crescent visible in the east before dawn.",
                    "The full cycle, from one new moon to the next, takes about 29.5 days. This synodic month is "
                    "longer than the 27.3 days the Moon takes to complete one orbit relative to the stars, "
                    "because the Earth has moved along its own orbit in the meantime and the Moon has to travel "
                    "a little further to line up with the Sun again.",
                ],
            ),
            (
                "It is not the Earth's shadow",
                [
                    "A common misconception is that the phases are caused by the Earth's shadow falling on the "
                    "Moon. The Earth's shadow only touches the Moon during a lunar eclipse, which can happen only "
                    "at full moon, and only when the Moon crosses the plane of the Earth's orbit at that time. "
                    "Because the Moon's orbit is tilted by about five degrees, that alignment happens only a few "
                    "times a year rather than every month.",
                ],
            ),
            (
                "Earthshine",
                [
                    "During a thin crescent you can often see the dark part of the Moon faintly glowing. That is "
                    "sunlight reflected off the Earth onto the Moon and back again. Leonardo da Vinci was the "
                    "first to explain it correctly.",
                ],
            ),
            (
                "Observing tip",
                [
                    "Full moon is the worst time to look through a telescope: light falls straight on the "
                    "surface and there are no shadows. Look along the terminator, the line between day and night, "
                    "near first or last quarter, where low sunlight throws craters and mountains into sharp relief.",
                ],
            ),
        ],
    ),
    (
        "dog-recall-training.pdf",
        "Teaching a Reliable Recall",
        "Priya Nandakumar",
        "Training notes for the puppy class",
        [
            (
                None,
                [
                    "A dog that comes back when called is safer and can enjoy far more freedom. A reliable recall "
                    "is built, not commanded: the dog returns because coming back has always been the best thing "
                    "that could happen.",
                ],
            ),
            (
                "Choose a cue and protect it",
                [
                    "Pick a word or a whistle signal that you will use only for recall, such as 'Here!' or two "
                    "short pips. Never use it for anything the dog dislikes - ending play, baths, nail clipping, "
                    "being put on the lead to go home. If you need to do those things, go and get the dog instead. "
                    "Every time the cue predicts something unpleasant, it loses value.",
                ],
            ),
            (
                "Charge the cue",
                [
                    "Start indoors. Say the cue once and immediately give an exceptional treat: cheese, chicken, "
                    "sausage, not dry kibble. Repeat a few times a day for a week, even when the dog is right "
                    "next to you. You are teaching the dog that the sound means a jackpot.",
                ],
            ),
            (
                "Build distance and distraction slowly",
                [
                    "- Call from another room, then across the garden, then in a quiet park on a long line of "
                    "five to ten metres.",
                    "- Call when the dog is already heading towards you, so it gets it right.",
                    "- Reward generously every time, and often release the dog to go and play again afterwards, "
                    "so that coming back does not always mean the fun is over.",
                    "- Add distractions one step at a time: other people, then other dogs at a distance, then "
                    "the really difficult things like squirrels.",
                    "If the dog fails twice in a row, you have moved too fast. Go back to an easier setting.",
                ],
            ),
            (
                "Mistakes to avoid",
                [
                    "- Repeating the cue over and over. The dog learns that the first five calls are optional.",
                    "- Scolding a dog that finally returns. It learns that coming back gets it told off.",
                    "- Chasing the dog. It becomes a game the dog wins. Run the other way instead; most dogs "
                    "will follow.",
                    "- Letting the dog off the lead in a risky place before the recall is proven.",
                ],
            ),
            (
                "Keep it going",
                [
                    "Recall fades if it is not maintained. Keep practising on every walk, keep some rewards "
                    "exceptional, and occasionally pay a jackpot of several treats in a row. Adolescent dogs, "
                    "between about six and eighteen months, often seem to forget everything; keep the long line "
                    "on and be patient.",
                ],
            ),
        ],
    ),
]


class _Doc(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self._doc_title = title

    def footer(self) -> None:  # page numbers: boilerplate, not content
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


def build(name: str, title: str, author: str, subject: str, sections) -> Path:
    pdf = _Doc(title)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_subject(subject)
    pdf.set_creator("searchapp tools/make_sample_pdfs.py")
    pdf.set_creation_date(CREATED)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 6, f"{author} - {subject}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for heading, paragraphs in sections:
        if heading:
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.set_font("Helvetica", "", 11)
        for para in paragraphs:
            if para.startswith("- "):
                pdf.set_x(26)
                pdf.multi_cell(0, 5.5, "- " + para[2:], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            else:
                pdf.multi_cell(0, 5.5, para, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2.5)
    path = OUT_DIR / name
    pdf.output(str(path))
    return path


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, title, author, subject, sections in DOCUMENTS:
        path = build(name, title, author, subject, sections)
        words = sum(len(p.split()) for _, ps in sections for p in ps)
        print(f"{path.relative_to(OUT_DIR.parent.parent.parent)}: {words} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
