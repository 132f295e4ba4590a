"""The phrase cues of agent dialogue acts (lower-cased sentences, clitics joined: ``"don't"``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["failure", "is_question", "requested_slots", "domain_of", "contrast_split", "looks_like_reference",
           "open_choice", "BOOKED", "OPTION_ASKED", "OFFERS_TO_BOOK", "RECOMMENDS", "PROPOSES_BOOKING", "CONFIRMS", "GOODBYE", "REQMORE", "CHOICE",
           "TRAIN_OFFER", "FACILITY_ASK", "APOLOGY", "BULLET", "opens_list"]

_NEG = r"(?:couldn't|could not|can't|cannot|can not|unable to|wasn't able to|was not able to|failed to|didn't|" \
       r"did not|not able to|am not able to|i'm not able to|won't be able to|do not|don't)"
_NEG_BOOK = r"(?:couldn't|could not|can't|cannot|can not|unable to|wasn't able to|was not able to|not able to|" \
            r"won't be able to|isn't able to|is not able to|am not able to|will not be able to)"
_THING = r"(?:restaurants?|hotels?|places?|trains?|attractions?|guest ?houses?|venues?|options?|results?|" \
         r"matches|entries|listings?|museums?|colleges?|theatres?|cinemas?|parks?|nightclubs?|ones?|any)"
NO_MATCH = re.compile(
    rf"\bno (?:\w+ ){{0,3}}(?:match\w*|results?|options?|entries|records?|listings?|availability in)"
    rf"|{_NEG} (?:seem to )?(?:find|locate|see|show|get|pull up|come up with)\b"
    r"|there (?:are|is|were|was|'s) (?:no|not any|nothing|none)\b|there (?:aren't|isn't|weren't|wasn't) any"
    r"|(?:don't|do not|doesn't|does not) (?:seem to )?(?:be|have|show|list|appear) any"
    r"|(?:don't|do not|doesn't|does not) (?:seem to )?(?:exist|appear to be)"
    r"|\bi (?:have|found|see|got|show) (?:no|nothing|none)\b|nothing (?:matches|that matches|matching|like that|"
    r"fits|comes up|came up|turned up|available|is available|in (?:the|that|our))"
    r"|\b(?:nothing|none)\b[^.?!]{0,40}\b(?:match\w*|fits?|meets?|suits?)\b|\bnone (?:match|of them|found|"
    r"available|that|exist|are)|there are none|\bno such\b|zero results|came up (?:empty|short|with nothing)|"
    r"comes up empty|search (?:came|comes|turned|turns) up (?:empty|nothing|no)|(?:i'm|i am) not (?:finding|seeing|"
    r"showing|getting)|(?:not|n't) (?:finding|seeing|showing|pulling up) any|no luck|unable to locate|"
    # "We have no 4 star hotels in the north", "we have no 4-star hotels on the north side"
    rf"\b(?:we|i) (?:have|had|got) no (?:[\w-]+ ){{1,3}}{_THING}\b|"
    rf"\bno {_THING}\b|(?:isn't|aren't|is not|are not) (?:any|listed|in our (?:system|database))|do not have any|"
    r"(?:don't|do not) have (?:a|an|any) |we (?:don't|do not) have|doesn't have any|not (?:aware of|seeing) any|"
    r"(?:are|is) (?:not|none) (?:available|located|in)|(?:have|has) no (?:\w+ ){0,2}(?:in|that|with|on|for)\b"
    # answers to "is there ...?": "No, I'm sorry, there is not.", "Unfortunately not.", "No polynesian restaurants"
    r"|\bthere (?:is|are|was|were) not\b|\bthere (?:isn't|aren't|wasn't|weren't)\b|\bthere no\b"
    r"|^(?:no|nope)\b[ ,.!]*(?:i'm|i am|i'm very|so|we're|we are)? ?(?:sorry|afraid)|\b(?:unfortunately|afraid|sadly|"
    r"sorry|regrettably),? (?:not|no)\b|^(?:unfortunately|sadly|sorry),? (?:we|they|it|i) (?:do|does|did|have|has) "
    r"(?:not|n't)\b|\bwe (?:do not|don't|did not|didn't)\s*[.!]?$"
    rf"|(?:^|sorry,? |\bstill )no (?!problem|worries|thanks?|need|reservations?|charge|fee|entrance|entry|admission|"
    rf"parking|internet|wifi|more|longer|,)(?:\w+ ){{0,3}}(?:{_THING}|food|cuisine|\w+(?:houses|s)\b|\w+ either)"
    r"|^no (?!problem|worries|thanks?|need|reservations?|charge|fee|entrance|entry|admission|parking|internet|wifi|"
    r"more|longer)(?:\w+ ){0,2}\w+ ?[.!]?$"
    r"|(?:haven't|have not|hasn't|has not) (?:been able to )?(?:find|found|locate[sd]?|turn(?:ed)? up|seen|come across)"
    r"|(?:didn't|did not|doesn't|does not) (?:pull|bring|turn) (?:anything|any\w*) up|(?:don't|do not|doesn't|does not)"
    r" (?:happen to |seem to |currently |actually )*have (?:anything|any|a|an|one)\b"
    r"|(?:doesn't|does not|don't|do not) (?:look|seem|appear)(?: like| that| as if| as though)? there (?:is|are|were|was|"
    r"'s)|\bnothing (?:\w+ly )?(?:priced|moderate|cheap|expensive|in|on|with|that|for|like|available|of|near|close)\b"
    r"|\bnone (?:of which|of them|of those|of these|in|fitting|fit|that|with|on|at|near|meet|meeting|match)\b|\bgot none\b"
    r"|\bzero (?!stars?\b|pounds\b)\w+|^not (?:in|on|with|at|for) (?:that|the|this|those)\b|\bno (?:such|luck)\b"
    r"|\bnothing (?:meeting|meets|fitting|suiting|suits|satisfying)|\bno (?:place|venue|one) (?:matching|that|with|"
    r"fitting)|\b(?:aren't|are not|isn't|is not|weren't|were not) any\b")
BOOK_FAIL = re.compile(
    r"\bfully booked|booked up|booked solid|\b(?:no|not any|any) availab|not available|(?:isn't|aren't|wasn't) "
    r"available|unavailable|no vacanc|no (?:open|free|available) (?:reservations?|tables?|rooms?|seats?|slots?|"
    r"spots?)|(?:no|not any) (?:tables?|rooms?|seats?|tickets?|space|slots?) (?:available|left|free|open)"
    r"|(?:booking|reservation) (?:was |has |is |did )?(?:failed|fail|unsuccessful|not successful|not possible|"
    r"rejected|declined|n't go through|not go through)|(?:couldn't|could not|can't|cannot|unable to|wasn't able "
    r"to|was not able to|failed to|not able to|won't be able to|isn't able to|is not able to) (?:book|reserve|"
    r"accommodate|take (?:a|the|your|that) (?:booking|reservation)|make (?:the |a |that |your )?(?:booking|"
    r"reservation)|complete (?:the |your |that |those |this )?(?:booking|reservation)|get (?:you|a|that) (?:in|booked|"
    r"reservation|table|room))|(?:is|was|are) (?:full|taken)\b|(?:does not|doesn't|didn't|did not) "
    r"(?:have|work|go through)[^.?!]{0,30}(?:availab|book|reserv|room|table|time|then)|no (?:longer )?"
    r"(?:has|have) (?:any )?(?:room|table|space|availab)|not (?:able to be|be able to be) booked|"
    r"can't (?:get|fit) you in|(?:booking|reservation)s? (?:are|is) (?:not|n't)|(?:no|not) (?:booking|reservation)s? "
    r"(?:available|possible|open)|(?:at|for) that time (?:is|are) (?:taken|unavailable|full)|"
    r"(?:isn't|is not|aren't|are not) (?:accepting|taking) (?:bookings|reservations)"
    # "they are both booked during your preferred time", "all booked for that length of stay"
    r"|\b(?:all|both|completely|entirely) (?:booked|full)\b(?= (?:during|for that|at that|on that|for the|then|up))"
    r"|\b(?:is|are|was|were) (?:already )?booked\b(?=[ ,;]*(?:but|however|though|whereas|so)\b)|\balready booked\b"
    r"|\b(?:they|both|all of them) (?:are|were) (?:all |both )?(?:booked|full)\b|\bbooked (?:during|for that|at that|on that|that (?:day|"
    r"night|time))|\bunsuccessful\b|\bnot (?:been )?successful\b|\bno openings?\b|not enough (?:rooms?|tables?|seats?|"
    r"space|availability)|nothing (?:is )?available (?:in|at|for|on) th|"
    rf"{_NEG_BOOK} (?:make|handle|accommodate|take|process|complete|reserve|book)\b(?! (?:it|you|that|this) for you\b)"
    r"|(?:booking|reservation) (?:can not|cannot|can't|could not|couldn't|won't|will not|did not|didn't) "
    r"(?:be )?(?:complete|go|process|made|done)|(?:don't|do not|doesn't|does not|didn't|did not) (?:have|take|accept) "
    r"(?:any )?(?:availab|a table|a room|tables|rooms|bookings|reservations|space)|(?:don't|do not|doesn't|does not|"
    r"didn't|did not) (?:have|seem to have) (?:any )?available (?:reservations|tables|rooms|slots|times)|\bneither\b"
    r"[^.?!]{0,60}\b(?:available|free|open)\b|(?:not|n't) open (?:that|until|at|then|on|so)\b|\b(?:time|day|date|"
    r"slot|stay)s? (?:didn't|did not|doesn't|does not|won't|will not) work|system (?:is |seems to be |was |went )?down|"
    r"\bglitch|system (?:will not|won't|would not|wouldn't) (?:let|allow)|none of (?:the|them|those)[^.?!]{0,40}"
    r"\b(?:are|is|were|have) (?:available|free|open)\b(?=[^.?!]{0,20}\b(?:at|on|for|that|then)\b)")
#: "there are no 4 star hotels available" reads as no-match although "not available" is a booking word
NO_MATCH_FIRST = re.compile(
    r"(?:not|n't) (?:showing|finding|seeing|getting) any|\bno available (?!(?:tables?|rooms?|seats?|slots?|times?|"
    r"reservations?|bookings?)\b)|there (?:are|is) (?:currently )?no (?:\w+ ){0,3}(?:restaurants?|hotels?|"
    r"guest ?houses?|attractions?|trains?|places|options)\b")
#: an unknown detail ("the entrance fee is not listed", "no information on ...") is no failure of the search
NOT_INFO = re.compile(
    r"\b(?:information|info|details|fees?|hours|map|prices?|admission|listed|specific number|(?:phone|contact) "
    r"number|charge|cost)\b|\bnothing (?:else|more)\b|\bif there is nothing\b|\bno (?:problem|worries|need)\b")
#: a price range searched in is a constraint of the search, not a detail ("There is nothing in the moderate price
#: range that is traditional", "I checked for Moroccan cuisine in all price ranges , and I can't find anything")
_SEARCHED_RANGE = re.compile(r"\b(?:in|within) (?:the |all |any |that |this |your |a |an |those |these |every )?"
                             r"(?:[\w-]+ )?price ?ranges?\b")
_WITHOUT = re.compile(r"\bwithout (?:knowing|a |the |your |an )|\bunless\b|\bnot able to book (?:it|that) until\b")
BOOKED = re.compile(r"\b(?:i(?:'ve| have)? (?:booked|reserved|made)|(?:booking|reservation|table|room|"
                    r"tickets?|seats?|taxi|car) (?:is|was|has been|have been|are) (?:booked|reserved|confirmed|"
                    r"made|complete|successful|all set|set)|(?:booking|reservation) (?:was|is) successful|"
                    r"successfully (?:booked|reserved|made)|you(?:'re| are) (?:all )?(?:booked|set|confirmed)|"
                    r"booked|reserved|reference (?:number|code|#)|confirmation (?:number|code)|\bref(?:erence)?\b"
                    r"|your (?:booking|reservation) (?:for|at)|have been booked|is booked)\b")
RECOMMENDS = re.compile(r"\b(?:recommend|suggest|how about|what about|i'd go with|i would go with|try|"
                        r"my (?:favou?rite|pick|choice|top)|(?:a|my) (?:good|great|nice|popular) (?:choice|option|one)"
                        r"|you might (?:like|enjoy)|you(?:'ll| will) (?:like|love|enjoy)|consider|i have|there is|"
                        r"there's|i found|i've found|best (?:bet|option)|why not)\b")
PROPOSES_BOOKING = re.compile(r"\b(?:book|reserve|reservations?|booking|go ahead|proceed|tickets?|seats?|reserved)\b")
#: a yes/no offer to book, also when the sentence names a slot ("The price is 8.08 pounds per ticket, would you like
#: to book a seat?", "can I book a ticket for you?")
OFFERS_TO_BOOK = re.compile(r"^(?!.*\b(?:what|which|when|how many|how long|for how|another|different|other|shorter|"
                            r"only|unable|taxi|unsuccessful|not)\b)(?:.*\b)?(?:would you like|do you want|shall i|"
                            r"should i|can i|may i|want me to|would you care)\b[^?]{0,30}\b(?:book|reserv)\w*")
CONFIRMS = re.compile(r"\b(?:confirm|correct|right|is that|did i get|just to (?:check|be sure)|okay|ok|fine|suit you|"
                      r"work for you|works for you|sounds? good|shall i|should i|would you like (?:me|it|that|this|"
                      r"one)|do you want (?:me|it|that|this)|interested)\b")
GOODBYE = re.compile(r"\b(?:good ?bye|bye|farewell|have an? (?:nice|great|good|wonderful|lovely|fantastic|pleasant|"
                     r"safe|enjoyable) (?:day|time|trip|stay|evening|night|meal|visit|journey|one|weekend)|enjoy "
                     r"(?:your|the)|thank(?:s| you) for (?:using|calling|contacting|choosing|letting)|glad (?:i|we) "
                     r"could help|happy to (?:help|be of)|take care|safe travels|you're welcome|you are welcome)\b")
REQMORE = re.compile(r"\b(?:anything else|something else|any other|help (?:you )?with (?:anything|something)|"
                     r"further (?:help|assistance|questions)|else (?:i|we) can|more (?:help|assistance)|"
                     r"what else)\b")
_QUESTION_START = re.compile(
    r"^(?:what|which|how|when|where|could|can|would|will|do|did|does|may|shall|should|is|are|any|have|has)\b"
    r"|\b(?:let me know|tell me|could you (?:tell|specify|provide|give|confirm)|please (?:tell|specify|provide|give|"
    r"confirm|let|choose|select|indicate)|i(?:'ll| will| would|'d)? need (?:to know|the|your|a)|preference|"
    r"prefer|do you have a)\b")
_WHERE_PLACE = r"from|to\b|going|heading|headed|go\b|travel\w*|leav\w*|depart\w*|arriv\w*|drop\w*|pick\w*|take you"
_ASK = tuple((slot, re.compile(rx)) for slot, rx in (
    ("area", rf"\barea\b|part of (?:the )?(?:town|city)|side of (?:the )?(?:town|city)|\blocation\b|neighbou?rhood|"
             rf"district|\bwhere\b(?!.*\b(?:{_WHERE_PLACE}))|north.{{0,20}} or |or (?:the )?(?:north|south|east|west|centre)"),
    ("pricerange", r"price ?range|\bprice\b|budget|how (?:much|expensive)|\bcheap|\bexpensive|\bmoderate|afford|spend|"
                   r"pric(?:ey|ed|ing)"),
    ("food", r"\bfood\b|cuisine|kind of (?:restaurant|dining)|type of (?:restaurant|dining)|what .*like to eat|"
             r"\beat\b"),
    ("stars", r"\bstars?\b|star rating|\brating"),
    ("type", r"\btype\b|\bkind\b|\bsort\b|guest ?house|hotel or\b|like to (?:see|visit|do)\b|attraction"),
    ("parking", r"parking|park (?:your|the) car"),
    ("internet", r"internet|wi ?-?fi|wireless"),
    ("name", r"\b(?:specific|particular|certain) (?:one|place|restaurant|hotel|attraction|venue|guest ?house|name)"
             r"|\b(?:one|place|restaurant|hotel|attraction|venue|name) in mind|\bname of\b"),
    ("people", r"how many (?:people|persons|guests|of you|tickets|seats|travell?ers|passengers|adults|will|are|in)"
               r"|in your (?:party|group)|party of|for how many|party size|group size|size of (?:your|the) (?:party|"
               r"group)|number of (?:people|guests|persons|tickets|seats|travell?ers|passengers)|\bpeople\b|"
               r"\bguests\b|\btickets\b|\bpersons\b|how many"),
    ("day", r"\bday\b|\bdate\b|what night|which night|\bwhen\b|what days?\b"),
    ("time", r"what time|which time|\btime\b|\bhour\b|o'?clock"),
    ("stay", r"how many (?:nights|days)|how long|\bnights?\b|length of (?:your |the )?stay"),
    ("departure", r"\bfrom\s*(?:\?|$|,|\band\b)|departure (?:station|location|point|place|city|town|site)|"
                  r"depart\w* from|leav\w* from|pick(?:ed)? (?:you )?up\b(?! time)|pick ?up (?:location|point|"
                  r"address|place)|starting (?:point|location)|\borigin\b|coming from|where .*(?:from|depart\w*|"
                  r"leav\w*)\b"),
    ("destination", r"\bto\s*(?:\?|$|,|\band\b)|destination|where\b.*\b(?:go|going|heading|headed|take you|travel\w*|"
                    r"arriv\w*)\b|where to\b|drop(?:ped)? (?:you )?off|going to (?:which|what)|arriv\w* (?:at|in) "
                    r"(?:which|what)"),
    ("leaveAt", r"\bleav\w* (?:at|after|time|by)|what time .*(?:leav|depart)|when .*(?:leav|depart)|depart\w* "
                r"(?:time|at|after)|pick ?(?:you )?up time|(?:what time|when) .*pick|departure time"),
    ("arriveBy", r"arriv\w* (?:by|at what|time)|what time .*(?:arriv|get there|be there)|when .*(?:arriv|get there|"
                 r"be there|need to be)|arrival time|arrive by"),
))
_DOMAIN_CUES = {
    "restaurant": re.compile(r"restaurant|place to eat|eatery|dining|\btable\b|\bfood\b|cuisine|\bdine\b|\beat\b"),
    "hotel": re.compile(r"hotel|guest ?house|place to stay|\brooms?\b|accommodation|lodging|nights?\b|\bstay\b|"
                        r"b ?(?:&|and) ?b|bed and breakfast"),
    "attraction": re.compile(r"attraction|museum|college|\bpark\b|theatre|cinema|gallery|nightclub|entrance fee|"
                             r"\bvisit|church|architecture|boat|swimming|entertainment|concert"),
    "train": re.compile(r"\btrains?\b|\brail|\bstation\b|\btr ?\d{3,5}\b|\bticket"),
    "taxi": re.compile(r"\btaxi|\bcab\b|\bcar\b|driver|contact number"),
    "police": re.compile(r"police"),
    "hospital": re.compile(r"hospital|department"),
}
#: the agent puts options to the user ("Do you have a preference?", "Would you prefer a guesthouse or a hotel?")
CHOICE = re.compile(
    r"\b(?:(?:do|did) you have (?:a|any) (?:preference|particular|specific)|any (?:other )?preferences?\b|which (?:one |of "
    r"(?:these|those|them|the \w+) )?(?:do|would|will|should|sounds)\b|(?:would|do|will) you (?:prefer|like|want|rather)"
    r"\b[^?]*\bor\b|are you (?:leaning|interested|looking)[^?]*\bor\b|(?:do|would) you prefer|what(?: is|'s) your "
    r"preference|(?:interested in|like|want) (?:either|any|one) of|were you interested|what about (?:the|a|one)\b"
    r"|how about (?:the |a |one )?(?:\d|\w+ (?:train|one)\b)|(?:does|would) (?:that|this|it|one) (?:work|suit|be okay|"
    r"be ok|do)|(?:would|do) you like (?:that|this|it|one|to book (?:it|one|that|this))\b)")
#: an option put to the user as a yes/no question ("Would a guesthouse be suitable?", "How does that sound?", "Would
#: you like to leave at 20:01?", "Are you interested in a museum?")
OPTION_ASKED = re.compile(
    r"^(?!.*\b(?:different|particular|specific|certain|another|other|preference|what|which)\b).*(?:"
    r"\bwould (?:a|an|the) \w+(?: \w+)? (?:be|interest|work|suit|do)\b|\b(?:are|were) you (?:interested in|looking for) "
    r"(?:a|an|some|free|one)\b|\bhow about (?:a|an|one|some)\b|\bperhaps (?:a|an|visit)\b|\bwould you (?:like|prefer) to "
    r"(?:try|stay in|consider|visit) (?:a|an)\b|\bwould you be interested in (?:a|an|some)\b|\bwill (?:that|this|it) "
    r"(?:work|suit|do)\b|\bhow does (?:that|this) sound|\b(?:is|does) (?:that|this) (?:okay|ok|suitable|satisfactory|"
    r"sound good|fine|acceptable)\b|\b(?:that|this) sound good|\b(?:leave|depart|arrive)\w* (?:at|by) \d|\bwant that "
    r"(?:train|one)\b|\bwould you prefer \w+ or\b|\b(?:on|in) the (?:north|south|east|west|centre|center) or\b)")
#: a train put forward without its id ("I found a train that leaves at 05:24", "One train leaves at 05:54")
TRAIN_OFFER = re.compile(r"\b(?:(?:a|one|the) (?:\d\d?[:.]\d\d )?train (?:that |which )?(?:leaves|leaving|departs|"
                         r"departing|arrives|arriving|gets|at|from)|(?:the|a) \d\d?[:.]\d\d train)\b")
#: a taxi arranged: the venues it names are pick-up and drop-off places, not offers
TAXI_REPORT = re.compile(r"\b(?:taxi|cab)\b|\bcar\b[^.?!]*\b(?:booked|reserved|scheduled|arranged|will (?:pick|be)|"
                         r"(?:is|are) (?:set|coming|on))|\bpick(?:ed|s|ing)? (?:you )?up\b|\bcontact number\b")
#: a booking reported as made, besides :data:`BOOKED` ("The reservation at the Cote ... was successful")
BOOKING_DONE = re.compile(r"\byou have a (?:reservation|booking|table|room)\b|\b(?:was|is|were) successful\b|"
                          r"\bsuccessfully\b|\b(?:is|are) (?:all )?set\b|\b(?:is|are|been) confirmed\b|\bexpecting you")
#: "i wasn't going to book it for you?": no proposal
NOT_PROPOSING = re.compile(r"\b(?:wasn't|was not|weren't|not going to|unable|can't|cannot|couldn't)\b")
#: a booking offered as a statement ("I can go ahead and book that for you", "I will gladly book that for you now")
WILL_BOOK = re.compile(r"^(?!.*\b(?:what|which|when|how many|need to know|provide|if you|only|later|taxi|"
                       r"more information|first)\b)(?:.*)\b(?:i can|i could|i will|i'll|i would be happy to|i'd be happy to|let me|i can certainly|"
                       r"we can|while i)"
                       r" (?:\w+ ){0,2}(?:book|reserve|get (?:that|it|you|those|them) (?:booked|reserved)|make "
                       r"(?:that|the|a|your) (?:booking|reservation)|work on (?:that|the|your|getting))\b|"
                       r"\b(?:assist|help) (?:you )?(?:with|make) (?:your|a|the) (?:reservation|booking)")
BOOKED_DONE = re.compile(r"\b(?:have|has|'ve) (?:been )?(?:booked|reserved)|reference|confirmation|is booked\b")
#: tickets asked for: a train booking offered ("How many tickets would you like?")
TICKETS = re.compile(r"\b(?:tickets?|seats?)\b")
#: a yes/no question about a facility asks for the user's wish ("Do you need parking?", "Will you need free wifi?")
FACILITY_ASK = re.compile(r"\byou\b|\bconcern|\bimportant|\bpreference|\brequire|\bmatter|\bneed")
#: an apology without a failure phrase ("Unfortunately, I'm afraid that won't work"): read by what the user was doing
APOLOGY = re.compile(r"\bunfortunately\b|\bi'm afraid\b|\bregret\b|\bi am afraid\b")
#: a list item ("- your area", "2) your budget")
BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
_CONTRAST = re.compile(r"\b(?:but|however|instead|though|although|alternatively|whereas|while)\b|;")
_OPEN_CHOICE = re.compile(r"\bor\b|\bwhat\b|\bwhich\b|\bhow many\b")


#: a word every no-match / booking-failure pattern holds: sentences without one skip the long patterns (all
#: 24,816 MultiWOZ val sentences read the same with and without the gate)
_FAIL_GATE = re.compile(r"n't|\bno\b|\bnot\b|none|nothing|neither|unable|unavailab|\bfull\b|booked|fail|unsuccessful|"
                        r"empty|zero|glitch|down\b|taken|luck|cannot|can not|nope|short|without|unless|openings?|"
                        r"vacanc|availab|rejected|declined")


def failure(low: str) -> str | None:
    """``"book_failed"``, ``"no_match"`` or ``None`` for one sentence."""
    if _FAIL_GATE.search(low) is None:
        return None
    if NO_MATCH_FIRST.search(low):
        return "no_match"
    if BOOK_FAIL.search(low) and not _WITHOUT.search(low) and not _info_only(low, BOOK_FAIL):
        return "book_failed"
    if NO_MATCH.search(low) and not _info_only(low, NO_MATCH):
        return "no_match"
    return None


def _info_only(low: str, rx: re.Pattern[str]) -> bool:
    """The negation is about a detail the agent lacks ("the entrance fee is not listed", "there is no entrance
    fee", "no information on ...") or a closing ("if there is nothing else"), not about the search or booking:
    every match lies near a detail word."""
    masked = _SEARCHED_RANGE.sub(lambda m: " " * len(m.group()), low)
    if NOT_INFO.search(masked) is None:
        return False
    for m in rx.finditer(low):
        window = masked[max(0, m.start() - 25):m.end() + 30]
        if NOT_INFO.search(window) is None:
            return False
    return True


def is_question(low: str) -> bool:
    """A question, or a request put as a statement ("please tell me your area")."""
    return "?" in low or _QUESTION_START.search(low.strip()) is not None


def requested_slots(low: str) -> list[str]:
    """Slots a question asks for."""
    slots = [slot for slot, rx in _ASK if rx.search(low)]
    if "food" in slots and "type" in slots:
        slots.remove("type")  # "what type of food"
    if {"leaveAt", "arriveBy", "departure", "destination"} & set(slots):
        for s in ("area", "day", "time"):
            if s in slots and s != "day":
                slots.remove(s)
    if "stay" in slots and "day" in slots and "night" in low and "what night" not in low and "which night" not in low:
        slots.remove("day")
    if "people" in slots and "stay" in slots and "how many nights" in low and "people" not in low:
        slots.remove("people")
    return slots


def domain_of(low: str, hits: Mapping[str, list[str]], domains: Sequence[str]) -> str | None:
    """The domain a sentence is about: of the names it says, else of its cue words."""
    for d in hits:
        return d
    for d in domains:
        cue = _DOMAIN_CUES.get(d)
        if cue is not None and cue.search(low):
            return d
    return None


def contrast_split(low: str) -> int | None:
    """Where a contrast starts ("X is booked **but** Y is free"), or ``None``."""
    m = _CONTRAST.search(low)
    return m.start() if m else None


def looks_like_reference(low: str, start: int) -> bool:
    """A code is a reference when it is introduced as one (or stands alone after a booking)."""
    before = low[max(0, start - 40):start]
    return bool(re.search(r"ref|confirm|number|code|#|booked|reserved|is\s*:?\s*$", before))


def open_choice(low: str) -> bool:
    """The question leaves the value open ("for 2 or 3 people?", "which day?")."""
    return bool(_OPEN_CHOICE.search(low))


def opens_list(line: str) -> bool:
    """A line introducing a list of questions ("Please tell me:"): its items count as questions."""
    return line.rstrip().endswith(":") and is_question(line.strip().lower())
