"""The vocabulary `carnet seed-contacts` draws from: Quebec first and last names (French
and English), organization kinds, cities, streets, area codes, email domains, group and
colour names, and free-text answers. Data only.
"""

FIRST_FR = (
    "Marie-Ève Léa Zoé Émile Chloé Félix Camille Raphaël Juliette Éloïse Maëlle Océane Jérémie "
    "Anaïs Inès Béatrice Rosalie Jean-François Marc-André Pierre-Luc Gaëlle Hélène Amélie "
    "Stéphane Sébastien Frédéric Geneviève Josée Andrée Mélodie Noémie Thérèse Benoît Léo "
    "Étienne Joëlle Cédric Valérie Mathéo Jacinthe Ève Réjean Ginette Gisèle Noël Agathe"
).split()
FIRST_EN = (
    "Emma Olivia Liam Noah William James Charlotte Ava Benjamin Lucas Mia Ethan Emily Jack "
    "Sophia Owen Grace Henry Chloe Logan Abigail Ryan Hannah Nathan Ella Dylan Scarlett Mary "
    "Evelyn Connor Jacob Madison Michael Sarah Daniel Megan Kevin Rachel Brian Laura"
).split()
LAST_FR = (
    "Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier "
    "Bélanger Lévesque Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier "
    "Dubé Poirier Fournier Lapointe Leclerc Lefebvre Poulin Thibault St-Pierre Nadeau Martin "
    "Landry Martel Bédard Grenier Lessard Bernier Richard Michaud Hébert Desjardins Dèsjardins "
    "Couture Turcotte Lachance Parent Blais Gosselin Savard Proulx Beaudoin Demers Perron "
    "Boudreau Ménard Labbé Champagne Lemieux Goulet Mercier Dufour Vézina L'Heureux D'Amours"
).split()
LAST_EN = (
    "Smith Brown Wilson Johnson MacDonald Taylor Campbell Anderson Jones Miller Thompson White "
    "Murphy O'Brien Walsh Kelly Stewart Robertson Scott Young Clarke Fraser Reid Morrison"
).split()
ORG_KINDS = (
    ("École primaire", "Directrice"),
    ("École secondaire", "Directeur adjoint"),
    ("Association de soccer de", "Présidente"),
    ("Club de natation de", "Entraîneur-chef"),
    ("Centre communautaire de", "Coordonnatrice"),
    ("Clinique vétérinaire de", "Vétérinaire"),
    ("Cégep de", "Responsable des sports"),
    ("Ville de", "Agent de loisirs"),
    ("Fondation", "Trésorier"),
)
CITIES = (
    ("Montréal", "H2X"),
    ("Montréal", "H1V"),
    ("Montréal", "H3Z"),
    ("Laval", "H7N"),
    ("Québec", "G1R"),
    ("Longueuil", "J4K"),
    ("Gatineau", "J8T"),
    ("Sherbrooke", "J1H"),
    ("Trois-Rivières", "G9A"),
    ("Saguenay", "G7H"),
    ("Lévis", "G6V"),
    ("Terrebonne", "J6W"),
    ("Saint-Jérôme", "J7Z"),
    ("Rimouski", "G5L"),
)
STREETS = (
    "rue Saint-Denis",
    "boulevard René-Lévesque",
    "avenue du Parc",
    "rue Sainte-Catherine",
    "chemin de la Côte-des-Neiges",
    "rue Principale",
    "boulevard des Laurentides",
    "rue de l'Église",
    "avenue Cartier",
    "rue King Ouest",
    "montée Saint-François",
)
AREA_CODES = ("514", "438", "450", "579", "418", "581", "819", "873", "367")
DOMAINS = ("gmail.com", "videotron.ca", "hotmail.com", "outlook.com", "sympatico.ca", "yahoo.ca")
GROUPS = [f"U{age} {kind}" for age in (7, 9, 11, 13, 15, 17) for kind in ("garçons", "filles")] + [
    "Seniors",
    "Maîtres",
    "Parents",
    "Entraîneurs",
    "Bénévoles",
    "Arbitres",
    "Liste d'attente",
    "Conseil d'administration",
    "Camp d'été",
    "Camp de jour",
    "Anciens",
    "Commanditaires",
    "Infolettre",
    "Tournoi 2024",
    "Tournoi 2025",
    "Élite",
    "Récréatif",
    "Adaptés",
    "Donateurs",
    "Fournisseurs",
    "Presse",
    "Partenaires scolaires",
    "À relancer",
    "VIP",
]
COLOURS = (
    ("VIP", "#d4af37"),
    ("Bénévole", "#2e8b57"),
    ("À rappeler", "#dc143c"),
    ("Nouveau", "#1e90ff"),
    ("Prioritaire", "#8a2be2"),
    ("Inactif", "#808080"),
)
TEXT_ANSWERS = (
    "Allergie aux arachides",
    "Aucune",
    "Asthme léger",
    "Végétarien",
    "Gaucher",
    "Parle espagnol",
    "Préfère le courriel",
    "Élève de 5e année",
)
