# Unambiguous dates for an international seller base: "27 Nov 2026, 14:05". The long
# and short names give the same style, so no page mixes two.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
