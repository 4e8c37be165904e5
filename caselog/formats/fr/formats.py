# One style on every page, e-mail and admin screen: "27/11/2026 07:40", the numeric
# dates a French reader expects, the same as the French CSV's JJ/MM/AAAA HH:MM (and
# as short as the log's columns need). The long and short names give the same
# style, so a template cannot mix "27 novembre 2026 à 07:40" with it.
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
