"""What the central does with its data, a module per concern.

Every write is one transaction. The current status of a ticket is
``kiosk.states`` folded over its events in the order the central stored them;
an event the rules refuse is kept in the log but leaves the status alone.

- ``base``: Rejected, StoreUnavailable, the transaction runners, time helpers;
- ``rows``: the ticket and event rows every writer shares;
- ``stations``: station keys, registering and listing stations, counts;
- ``audit``: the log of what operators did to keys;
- ``open311_keys``: Open311 clients' keys, each filing for one station;
- ``push``: checking and storing a station's batch of events;
- ``pull``: cursors and the central events a station pulls;
- ``central_events``: events made at the subdistrict;
- ``filing``: tickets filed through Open311;
- ``tickets``: reading tickets for Open311 and the tracking page.
"""
