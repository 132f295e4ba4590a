"""An agenda-based user simulator (Schatzmann et al., 2007) for the task-oriented domains.

The user keeps a stack of dialogue acts built from its MultiWOZ-layout goal (constraints, with the
``fail_info`` ones first; requested slots; booking slots, with ``fail_book`` merged in first; then
goodbye), says a few acts per turn through varied templates (:mod:`.templates`), and reads every agent
reply with a lexicon- and pattern-driven understanding (:mod:`.understand`): the slots the agent asks
for, the entities it offers, booking references, no-match and booking-failure reports, and the
requested values it gives. It checks offers and bookings as a person could (in the database and the
episode's bookings, through the ``TodContext``), rejects what does not fit and restates the
constraint, switches to ``info`` / ``book`` after the expected no-match / failure, says yes to an
offer to book or a check of its wishes when the values it can spot agree (else corrects them),
names the venue it picks when several were offered, and ends with
``GOAL_MET`` once it has itself seen, for every goal domain, a fitting entity, every requested value
and (when the goal books) a valid booking reference; ``USER_GAVE_UP`` after ``patience`` replies in a
row without progress. ``UserTurn.acts`` holds the turn's acts (:class:`simulators.acts.Act`, lists ``[intent, domain, slot, value]``);
``UserTurn.state.achieved()`` what the user believes it obtained.

Limits (known, by design of a lexicon-driven user):

- Values must appear in their surface form: paraphrases without the value ("it's in the middle of
  town" for ``centre``, "a couple of quid" for a price, "it has somewhere to park" is read as yes) are
  missed, and so is a booking reference not written as 8 upper-case letters/digits.
- Entity names are spotted verbatim (case, punctuation and a leading "the" ignored); an abbreviated
  or misspelt name is not an offer. When several entities are offered at once the user takes the
  first that fits; an entity name used in passing ("unlike X, ...") still counts as an offer.
- Questions are found by "?", a question opening or a request phrase ("please tell me", "I'll need",
  list items after such a line ending in ":") plus slot cue words; other indirect requests are
  missed, and a question that carries its value ("shall I book it for 2?") is a yes/no question, not a
  request. "When" asks for day and time. A request to repeat is not understood (the user moves on).
- A no-match or failure phrase is attributed to the domain named in its sentence, else to the domain
  the user is working on; an apology ("unfortunately ...") counts as a booking failure once an entity
  is accepted in a domain that books, else as a no-match.
- The user believes no-match / booking-failure reports only when its goal expects them; otherwise it
  disputes them (no progress). It only judges bookings by their reference (taxis also by their phone
  number) and the record of its episode; an agent claiming a booking it never made gets a request for
  the reference.
- The user answers only what it has in its goal; it volunteers no preference it does not have, and
  it takes an offer that fits even when the agent has not heard all its constraints yet.
- Replies are read up to their first 6,000 characters. One domain is pursued at a time, in goal order.
"""

from simulators.agenda.user import AgendaUser

__all__ = ["AgendaUser"]
