"""The shop's console: who the staff member is, versioned settings, and live-view messages.

Shared by the admin API Lambda, the live-view Lambdas and the local stand-ins, so each rule
(who may change settings, what a live message looks like) exists once.
"""
