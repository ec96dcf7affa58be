"""A constructed library for the explore tests: three planted topics, a planted
near-duplicate document, an exact copy, an off-topic document, and images with a
re-encoded, resized copy."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Twelve sentences per topic: four documents of three sentences each, no sentence
# shared, so documents of one topic are related but never near-duplicates.
TOPICS: dict[str, list[str]] = {
    "beekeeping": [
        "The beekeeper lifts each frame from the hive to check the brood pattern.",
        "Worker bees cap the honey once its water content falls below twenty percent.",
        "A queen bee lays up to two thousand eggs a day in spring.",
        "Smoke calms the bees because it masks their alarm pheromone.",
        "Varroa mites weaken a colony and must be counted after the honey harvest.",
        "Bees build swarm cells when the hive runs out of room for the queen.",
        "The honey extractor spins uncapped frames so the honey flies out.",
        "A strong colony needs forty pounds of stored honey to survive the winter.",
        "Drones are male bees whose only task is to mate with a new queen.",
        "Beekeepers add a super box above the brood when nectar flows.",
        "Propolis is the sticky resin bees use to seal gaps in the hive.",
        "Foraging bees dance to tell the colony where the flowers are.",
    ],
    "chess": [
        "In the opening, develop your knights and bishops before moving the queen twice.",
        "Castling early keeps the king safe behind a wall of pawns.",
        "A knight fork attacks the king and a rook at the same time.",
        "Control of the centre squares gives your pieces room to move.",
        "In a king and pawn endgame, the opposition often decides the result.",
        "A pinned piece cannot move without exposing a more valuable piece behind it.",
        "Rooks belong on open files, where no pawns block them.",
        "The Sicilian Defence answers e4 with the c-pawn to fight for d4.",
        "Checkmate with two rooks is done by cutting the king off rank by rank.",
        "A passed pawn with no enemy pawns in front should be pushed toward promotion.",
        "Grandmasters calculate forcing moves first: checks, captures and threats.",
        "Trading pieces helps the side that is ahead in material.",
    ],
    "sourdough": [
        "A sourdough starter is flour and water fermented by wild yeast and bacteria.",
        "Feed the starter equal weights of flour and water every day.",
        "The dough rises slowly because wild yeast works more gently than baker's yeast.",
        "Stretch and fold the dough every half hour during bulk fermentation.",
        "A banneton basket holds the shaped loaf while it proofs overnight in the fridge.",
        "Bake the bread in a covered Dutch oven so steam makes a crisp crust.",
        "Lactic acid bacteria give sourdough bread its sour flavour.",
        "Score the loaf with a razor so it opens cleanly in the oven.",
        "A higher hydration dough gives the crumb large open holes.",
        "Rye flour makes a starter more active than white wheat flour.",
        "Let the baked loaf cool for an hour before slicing the crumb.",
        "Autolyse means resting flour and water before adding the starter and salt.",
    ],
}
OFF_TOPIC = (
    "Quarterly VAT returns for a limited company must be filed with the tax office "
    "within one month and seven days of the end of the accounting period; late filing "
    "incurs a surcharge calculated on the outstanding liability."
)
IMAGES = ("astronaut.png", "coffee.png", "chelsea-the-cat.png", "brick-wall.png", "clock.png")


def topic_document(topic: str, number: int) -> str:
    sentences = TOPICS[topic][number * 3 : number * 3 + 3]
    return f"{topic.capitalize()} note {number + 1}\n\n" + " ".join(sentences) + "\n"


def build_library(root: Path) -> Path:
    """Write the library under ``root``; returns root."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for topic in TOPICS:
        for number in range(4):
            (docs / f"{topic}-{number + 1}.txt").write_text(topic_document(topic, number))
    # A near-duplicate: the first chess note with a few words changed.
    changed = (
        topic_document("chess", 0).replace("at the same time", "at once").replace("early", "soon")
    )
    (docs / "chess-1-edited.txt").write_text(changed)
    # An exact copy (same bytes) of a sourdough note, under another name.
    shutil.copyfile(docs / "sourdough-2.txt", docs / "sourdough-2-backup.txt")
    (docs / "tax-deadline.txt").write_text("Company tax deadlines\n\n" + OFF_TOPIC + "\n")
    images = root / "images"
    images.mkdir()
    for name in IMAGES:  # copied, never symlinked (links out of a root are skipped)
        shutil.copyfile(REPO / "data" / "images" / name, images / name)
    from PIL import Image

    with Image.open(images / "astronaut.png") as original:
        smaller = original.convert("RGB").resize(
            (original.width * 3 // 4, original.height * 3 // 4), Image.Resampling.LANCZOS
        )
        smaller.save(images / "astronaut-small.jpg", quality=70)
    return root
