"""The story world: every word the storybook corpus and the five labeled tasks are built from.

One small, closed world serves both stages of the workflow:

* the **pre-training corpus** (``helpers.text.corpus``) tells stories about it, with no labels;
* the **fine-tuning tasks** (``helpers.text.tasks``) ask labeled questions about it.

Because both stages share one lexicon, a word's meaning can be *learned from the stories*
(what happens around it) and *used by the tasks*. Words come in classes that share contexts:
people, towns, organisations, things, describing words (adjectives), scenes, animals.

Each open class is split, once and deterministically, into words that labeled training data
may use ("seen") and words kept for the held-out test ("heldout"). Held-out words still appear
in the stories as often as any other word, so only a pre-trained model can know them.

Sentiment is part of the world: every thing and every adjective is positive, negative or
neutral, and the stories show it through consequences ("the cookies were so tasty that mia
smiled"; "the smelly garbage made tom feel sick").
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from helpers.errors import check_choice

TOPICS = ("home", "farm", "school", "sports", "sea")
POLARITIES = ("positive", "negative", "neutral")
SPLITS = ("all", "seen", "heldout")

HELDOUT_FRACTION = 0.3   # share of every open class kept out of labeled training data
HELDOUT_SEED = "storybook-heldout-v1"


# --------------------------------------------------------------------------- word classes
@dataclass(frozen=True)
class Person:
    name: str
    gender: str  # "f" or "m": only used to pick he/she, him/her, his/her

    @property
    def he(self) -> str:
        return "she" if self.gender == "f" else "he"

    @property
    def him(self) -> str:
        return "her" if self.gender == "f" else "him"

    @property
    def his(self) -> str:
        return "her" if self.gender == "f" else "his"


@dataclass(frozen=True)
class Thing:
    """Something a character can meet. Its polarity is what the stories teach about it."""
    name: str
    topic: str
    polarity: str
    food: bool = False

    @property
    def tangible(self) -> bool:
        """Can it be picked up, given or painted? ("teddy bear" yes, "storm" or "victory" no)"""
        return self.name not in INTANGIBLE

    @property
    def plural(self) -> bool:
        return self.name == "head lice" or (self.name.endswith("s") and not self.name.endswith("ss"))

    def agreement(self) -> dict:
        """Words that agree in number: {"was": "were", "is": "are", "this": "these", "it": "them"}."""
        if self.plural:
            return {"was": "were", "is": "are", "this": "these", "it": "them"}
        return {"was": "was", "is": "is", "this": "this", "it": "it"}


@dataclass(frozen=True)
class Adjective:
    word: str
    polarity: str
    food: bool = False  # food words ("tasty", "stale") only describe food

    def describes(self, thing: Thing) -> bool:
        """True if the stories may use this word for ``thing`` without contradicting it.

        A positive word fits positive or neutral things, a negative word negative or
        neutral things, a neutral word only neutral things."""
        if self.food and not thing.food:
            return False
        return thing.polarity in (self.polarity, "neutral")


@dataclass(frozen=True)
class Organisation:
    name: str  # written with "the" in front: "the river bakery"
    topic: str


@dataclass(frozen=True)
class Animal:
    word: str
    topic: str
    sounds: tuple  # verb stems: "bark" -> "barks" / "barked"


@dataclass(frozen=True)
class Topic:
    name: str
    scenes: tuple       # common-noun places used with "the": "the barn", "the harbor"
    roles: tuple        # people by job, never by name: "the mailman"
    activities: tuple   # sentence templates that only make sense in this topic


# --------------------------------------------------------------------------- the lexicon
# Enough names, towns and organisations that 128 labeled NER sentences cannot simply list them:
# a model trained from scratch on a handful of examples meets most test entities for the first
# time, while a pre-trained one has read each of them in about a hundred stories.
_FEMALE = ("mia emma lily ava zoe chloe nora ella rosa emily hannah sara lucy anna maya "
           "julia olivia sophie laura nina clara alice ada eva "
           "abigail adele agnes alma amelia andrea angela anita audrey beatrice bella bianca brenda "
           "bridget camila carla carmen caroline cecilia celia charlotte claire cora delia diana dora "
           "edith eleanor elena eliza elsa emilia erica esther fiona flora frida gemma georgia gina "
           "greta gloria harriet heidi helen ida imogen ines irene isabel jane janet jasmine jenna "
           "jessica joanna josephine judith julie kara karen kate katie kira lara leah lena lidia lila "
           "linda lisa lola lorna louise lydia mabel madeline maggie marta martha matilda megan melissa "
           "mila milly miriam molly monica nadia naomi natalie nell nicole olga paula phoebe pia priya "
           "rachel rebecca rita ruth sabrina selma sienna sofia stella susan tamara tara tessa thea "
           "tilly ursula vera veronica vicky viola wanda wendy yara yvonne zara zelda beth freya ingrid").split()
_MALE = ("tom sam leo max ben jack noah liam oscar henry owen finn adam luke ethan jacob "
         "david felix oliver peter simon victor omar hugo "
         "aaron abel alan albert alex alfred andrew anton arthur barney basil benny bruno carl carlos "
         "cedric charlie chris colin conrad daniel dean dennis derek dylan edgar edward eli elias "
         "elliot emil eric ernest evan fabian francis fred gabriel gavin george gerald gordon graham gus "
         "harold harvey hector ian igor isaac ivan james jasper jerome joel john jonah jordan joseph "
         "julian karl keith kevin lars lenny leon lewis louis lucas malcolm marco martin marvin "
         "matthew milo morris nathan neil nick nigel norman otto patrick paul philip quentin ralph "
         "raymond rex roger roland ronald rory rufus rupert ryan samuel scott sebastian seth stefan "
         "steven stuart theo thomas timothy toby troy tyler walter warren wesley william xavier yusuf "
         "zack boris dmitri enzo jamal kenji mateo nico pablo rafael raul sven tariq vincent wilbur "
         "arnold").split()
PEOPLE = tuple([Person(n, "f") for n in _FEMALE] + [Person(n, "m") for n in _MALE])

TOWNS = ("millbrook", "riverton", "oakdale", "pinecrest", "stonebridge", "fairview", "elmwood",
         "brightwater", "ashford", "redhill", "kingsley", "dunmore", "westbury", "hollowell",
         "clearwater", "maplewood", "northfield", "glenmore", "thornbury", "lindale",
         "willow creek", "cedar falls", "silver lake", "east haven",
         *("ashby barton belmont bramley brixham calder carlow chester clifton colby corbin cranford "
           "dalton darby denton dover easton elgin emberly everton farley fenwick garston glenwood "
           "grafton hadley halston harlow hartley hayward helston hilton holbrook ilford irvine "
           "keswick kilby kirkwood langley larkspur leyton lockwood lowell lynford marlow medford "
           "melrose merton milford moreton newbury norwood oakham orford oxley paxton pemberton "
           "penrith preston radley ramsey redmond ripley rockport rosedale rowley rushden salcombe "
           "sandford selby shelton sherwood skipton stanton stratton sutton talbot tamworth thornton "
           "tilbury trenton upton ventnor walden waltham warwick wembley weston whitby wickham "
           "winslow woodley yarmouth brampton kendal ludlow morley colton halford kelso alston "
           "amberley ashwell bexley blyth burford corby crawley").split(),
         "fox hill", "otter creek", "stony point", "deer park", "port ellis", "pine hollow", "amber bay",
         "crow ridge")

_ORGS = {
    "home": ("river bakery", "corner grocery", "hilltop hardware", "lantern laundry",
             "daisy florist", "cobble street market", "daybreak bakery", "oak lane grocery",
             "copper kettle cafe", "bluebell bookshop", "hillcrest pharmacy", "lamplight candle shop",
             "village post office", "redbrick furniture store", "velvet drape shop",
             "brass key locksmiths", "moonbeam toy shop", "tulip tea room"),
    "farm": ("golden dairy", "meadowlark mill", "sunny valley cooperative", "oakleaf seed company",
             "harvest moon creamery", "greenacre orchards", "acorn feed store", "cloverfield stables",
             "red rooster farm", "fieldstone tractors", "cottonwood ranch", "twin oaks nursery",
             "brookside egg farm", "cider press company", "bramble berry farm", "ironwood plough company",
             "haystack feed company", "silo grain company"),
    "school": ("greenfield school", "hillside academy", "northgate college", "parkview primary",
               "evergreen music school", "juniper reading club", "lakeside grammar school",
               "maple grove school", "riverside art school", "oakbrook kindergarten",
               "westfield academy", "starlight drama club", "quill writing club", "pinewood primary",
               "harmony choir", "newton science club", "sterling chess club", "bookworm tutoring"),
    "sports": ("thunder football club", "falcon hockey team", "rapids swim club",
               "comet tennis club", "summit cycling club", "lions rugby team", "eagles baseball team",
               "wildcats basketball team", "kestrel rowing club", "panther running club",
               "tigers cricket club", "hornets volleyball team", "bulldogs boxing club",
               "mustang riding club", "arrow archery club", "blazers lacrosse team",
               "jaguars judo club", "vikings handball team"),
    "sea": ("harbor council", "blue whale fishing company", "seabreeze ferries",
            "tidewater shipping", "pelican boat club", "coral diving school", "northwind fishing fleet",
            "saltwater sailing school", "gull rock ferries", "deep blue aquarium", "lobster pot company",
            "rockpool museum", "sea dragon tours", "windward yacht club", "driftwood boatyard",
            "mermaid cove cruises", "kelp forest research station", "trawler cooperative"),
}
ORGANISATIONS = tuple(Organisation(n, t) for t, names in _ORGS.items() for n in names)

# things per topic: (positive, negative, neutral); "*" marks food
_THINGS = {
    "home": ("teddy bear|*cookies|*cake|blanket|*pancakes|puzzle|*muffins|birthday card",
             "garbage|mold|cockroach|leak|splinter|spider|rat|burst pipe",
             "chair|spoon|lamp|curtain|*soup|*bread|towel|*rice"),
    "farm": ("*strawberries|*honey|sunflowers|*peaches|*blueberries|*watermelon|*cherries|*apples",
             "mud|nettles|wasps|thorns|flies|manure|ticks|weeds",
             "fence|bucket|gate|wheelbarrow|*potatoes|*carrots|shovel|*corn"),
    "school": ("gold star|stickers|storybook|crayons|magic show|recess|field trip|prize",
               "detention|homework|pop quiz|head lice|nosebleed|paper cut|failing grade|spilled ink",
               "pencil|desk|ruler|notebook|eraser|*sandwich|backpack|chalk"),
    "sports": ("trophy|medal|victory|applause|*orange slices|celebration|gold cup|high five",
               "blister|bruise|cramp|injury|sprain|defeat|twisted ankle|penalty",
               "whistle|bench|cone|jersey|helmet|scoreboard|stopwatch|kit bag"),
    "sea": ("seashells|sandcastle|*ice cream|sunshine|rainbow|starfish|*lemonade|treasure",
            "jellyfish|sunburn|storm|oil spill|fog|hailstones|riptide|seasickness",
            "rope|anchor|oar|buoy|compass|*crackers|lifejacket|tackle box"),
}
INTANGIBLE = {"leak", "magic show", "recess", "detention", "homework", "pop quiz", "head lice",
              "nosebleed", "paper cut", "victory", "applause", "celebration", "blister", "bruise",
              "cramp", "injury", "sprain", "defeat", "sunshine", "rainbow", "sunburn", "storm",
              "oil spill", "fog", "hailstones", "burst pipe", "field trip", "failing grade", "spilled ink",
              "high five", "twisted ankle", "penalty", "riptide", "seasickness"}
THINGS = tuple(
    Thing(word.lstrip("*"), topic, polarity, word.startswith("*"))
    for topic, groups in _THINGS.items()
    for polarity, group in zip(POLARITIES, groups)
    for word in group.split("|")
)

_ADJECTIVES = {
    ("positive", False): "lovely wonderful great nice cute beautiful amazing fantastic perfect cozy "
                         "brilliant charming delightful pleasant adorable splendid gorgeous marvelous "
                         "superb terrific excellent magnificent pretty shiny friendly fabulous glorious "
                         "stunning",
    ("positive", True): "tasty delicious yummy juicy scrumptious crunchy fluffy sweet savory creamy",
    ("negative", False): "awful horrible terrible nasty smelly gross ugly disgusting dreadful dirty "
                         "sticky scary annoying painful filthy creepy broken noisy rusty slimy hideous "
                         "itchy boring gloomy revolting foul creaky stinky",
    ("negative", True): "stale soggy bland sour burnt mushy rotten moldy salty greasy",
    ("neutral", False): "ordinary plain normal average usual square round wooden grey heavy simple "
                        "regular basic striped tall flat brown narrow wide thin thick metal plastic "
                        "checkered",
}
ADJECTIVES = tuple(Adjective(w, pol, food) for (pol, food), words in _ADJECTIVES.items()
                   for w in words.split())

ANIMALS = (
    Animal("dog", "home", ("bark", "growl")), Animal("cat", "home", ("meow", "purr")),
    Animal("parrot", "home", ("squawk", "chatter")),
    Animal("cow", "farm", ("moo",)), Animal("sheep", "farm", ("bleat",)),
    Animal("horse", "farm", ("neigh",)), Animal("pig", "farm", ("oink", "grunt")),
    Animal("duck", "farm", ("quack",)), Animal("hen", "farm", ("cluck",)),
    Animal("hamster", "school", ("squeak",)), Animal("canary", "school", ("chirp", "tweet")),
    Animal("pony", "sports", ("neigh", "snort")), Animal("goose", "sports", ("honk", "hiss")),
    Animal("seagull", "sea", ("screech", "squawk")), Animal("seal", "sea", ("bark", "honk")),
    Animal("dolphin", "sea", ("whistle", "click")),
)
SIZES = ("small", "big", "little", "old", "young", "tiny")

TOPIC_INFO = {
    "home": Topic("home",
                  ("kitchen", "garden", "attic", "bedroom", "porch", "cellar", "hallway", "pantry"),
                  ("mailman", "neighbor", "babysitter"),
                  ("{a} washed the dishes in the {scene} after lunch .",
                   "{a} swept the floor of the {scene} before dinner .",
                   "{a} read a bedtime story to {b} in the {scene} .",
                   "{a} and {b} painted the walls of the {scene} .",
                   "{a}'s mother made soup for the whole family .",
                   "{a} fed the {animal} and tidied up the {scene} .")),
    "farm": Topic("farm",
                  ("barn", "cornfield", "orchard", "meadow", "pond", "stable", "henhouse", "pasture"),
                  ("farmer", "vet", "shepherd"),
                  ("{a} fed the {animal} in the {scene} .",
                   "{a} helped the farmer plant seeds near the {scene} .",
                   "{a} drove the tractor past the {scene} .",
                   "{a} collected eggs and carried them to the {scene} .",
                   "{a} and {b} brushed the {animal} in the {scene} at sunrise .",
                   "{a} stacked hay bales next to the {scene} .")),
    "school": Topic("school",
                    ("classroom", "library", "playground", "cafeteria", "auditorium", "laboratory",
                     "corridor", "schoolyard"),
                    ("teacher", "principal", "janitor", "librarian"),
                    ("{a} wrote a poem in the {scene} .",
                     "the teacher asked {a} to read aloud in the {scene} .",
                     "{a} and {b} studied for the spelling test in the {scene} .",
                     "{a} solved ten math problems before the bell rang .",
                     "{a} raised {a_his} hand to answer the teacher's question .",
                     "{a} and {b} gave the class {animal} some fresh water in the {scene} .")),
    "sports": Topic("sports",
                    ("stadium", "gym", "racetrack", "arena", "pool", "clubhouse", "rink", "bleachers"),
                    ("coach", "referee", "umpire"),
                    ("{a} kicked the ball across the {scene} .",
                     "{a} ran ten laps around the {scene} .",
                     "the coach told {a} to practice every day at the {scene} .",
                     "{a} and {b} trained hard for the big match at the {scene} .",
                     "{a} scored a goal and the crowd in the {scene} cheered .",
                     "{a} stretched {a_his} legs before the race at the {scene} .")),
    "sea": Topic("sea",
                 ("harbor", "beach", "pier", "lighthouse", "island", "dunes", "marina", "boardwalk"),
                 ("fisherman", "sailor", "lifeguard"),
                 ("{a} sailed a small boat past the {scene} .",
                  "{a} and {b} swam in the waves near the {scene} .",
                  "{a} caught three fish near the {scene} .",
                  "the wind blew across the {scene} as {a} walked by .",
                  "{a} watched the ships sail into the {scene} .",
                  "{a} and {b} looked for crabs under the rocks by the {scene} .")),
}

# Feelings and reactions carry the polarity in the stories. They are closed classes: never
# held out, so a fine-tuned model can rely on them only through what pre-training linked them to.
FEELINGS = {"positive": ("happy", "glad", "delighted", "proud", "cheerful"),
            "negative": ("sick", "sad", "upset", "angry", "miserable"),
            "neutral": ("calm", "fine", "indifferent", "relaxed")}
REACTIONS = {"positive": ("smiled", "laughed", "cheered", "clapped", "grinned", "giggled"),
             "negative": ("cried", "frowned", "groaned", "screamed", "sighed", "shuddered"),
             "neutral": ("nodded", "shrugged", "yawned", "carried on", "said nothing")}
RELATIVES = ("mother", "father", "aunt", "uncle", "grandmother", "grandfather", "sister", "brother")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Words the course's own examples use ("this teddy bear is so cute.", "mia hugged the teddy bear",
# "the soup was not tasty", "where did tom go? the harbor") stay on the seen side, so the
# notebooks can fine-tune on them.
PINNED_SEEN = {"mia", "tom", "teddy bear", "cute", "soup", "tasty", "awful", "harbor",
               "harbor council", "river bakery", "greenfield school"}


# --------------------------------------------------------------------------- the held-out split
def _choose_heldout(group_name: str, words: list[str]) -> set[str]:
    """Pick ~HELDOUT_FRACTION of ``words`` with a fixed seed, never a pinned word."""
    candidates = sorted(w for w in words if w not in PINNED_SEEN)
    count = max(1, round(len(words) * HELDOUT_FRACTION))
    random.Random(f"{HELDOUT_SEED}:{group_name}").shuffle(candidates)
    return set(candidates[:count])


def _heldout_sets() -> dict[str, set[str]]:
    held: dict[str, set[str]] = {k: set() for k in
                                 ("people", "towns", "organisations", "things", "adjectives", "scenes")}
    for gender in "fm":
        held["people"] |= _choose_heldout(f"people:{gender}", [p.name for p in PEOPLE if p.gender == gender])
    held["towns"] = _choose_heldout("towns", list(TOWNS))
    for topic in TOPICS:
        held["organisations"] |= _choose_heldout(
            f"orgs:{topic}", [o.name for o in ORGANISATIONS if o.topic == topic])
        held["scenes"] |= _choose_heldout(f"scenes:{topic}", list(TOPIC_INFO[topic].scenes))
        for polarity in POLARITIES:
            held["things"] |= _choose_heldout(
                f"things:{topic}:{polarity}",
                [t.name for t in THINGS if t.topic == topic and t.polarity == polarity])
    for (polarity, food), words in _ADJECTIVES.items():
        held["adjectives"] |= _choose_heldout(f"adjectives:{polarity}:{food}", words.split())
    return held


HELDOUT = _heldout_sets()


@dataclass(frozen=True)
class Lexicon:
    """The open word classes, restricted to one side of the held-out split."""
    split: str
    people: tuple
    towns: tuple
    organisations: tuple
    things: tuple
    adjectives: tuple
    scenes: dict = field(hash=False)  # topic -> tuple of scene words

    def things_of(self, topic: str | None = None, polarity: str | None = None) -> list[Thing]:
        return [t for t in self.things
                if (topic is None or t.topic == topic) and (polarity is None or t.polarity == polarity)]

    def adjectives_of(self, polarity: str) -> list[Adjective]:
        return [a for a in self.adjectives if a.polarity == polarity]


def lexicon(split: str = "all") -> Lexicon:
    """The world's open classes: ``"all"`` words, only ``"seen"`` ones, or only ``"heldout"`` ones.

    Labeled train/validation/test examples draw from ``lexicon("seen")``, the held-out test from
    ``lexicon("heldout")``; the storybook corpus uses ``lexicon("all")``."""
    check_choice("split", split, SPLITS)

    def keep(kind: str, word: str) -> bool:
        return split == "all" or (word in HELDOUT[kind]) == (split == "heldout")

    return Lexicon(
        split=split,
        people=tuple(p for p in PEOPLE if keep("people", p.name)),
        towns=tuple(t for t in TOWNS if keep("towns", t)),
        organisations=tuple(o for o in ORGANISATIONS if keep("organisations", o.name)),
        things=tuple(t for t in THINGS if keep("things", t.name)),
        adjectives=tuple(a for a in ADJECTIVES if keep("adjectives", a.word)),
        scenes={topic: tuple(s for s in TOPIC_INFO[topic].scenes if keep("scenes", s)) for topic in TOPICS},
    )


def heldout_phrases() -> set[str]:
    """Every held-out item as written ("oil spill", "cedar falls", "pelican boat club")."""
    return set().union(*HELDOUT.values())


def heldout_words() -> set[str]:
    """Single words that belong ONLY to held-out items (shared words such as "club" excluded).

    A labeled train or validation example never contains any of these; the stories contain
    every one of them many times."""
    seen = lexicon("seen")
    seen_items = ([p.name for p in seen.people] + list(seen.towns) + [o.name for o in seen.organisations]
                  + [t.name for t in seen.things] + [a.word for a in seen.adjectives]
                  + [s for scenes in seen.scenes.values() for s in scenes])
    seen_words = {w for item in seen_items for w in item.split()}
    return {w for phrase in heldout_phrases() for w in phrase.split()} - seen_words
