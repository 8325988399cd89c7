"""The default profile sheet: about sixty questions, in our own words.

(section, key, question, kind, choices). Keys are stable: other features read
some of them (birthday, wedding_anniversary, contact_preference).
"""

DEFAULT_QUESTIONS: list[tuple[str, str, str, str, list[str]]] = [
    # Personal
    ("personal", "birthday", "Birthday", "date", []),
    ("personal", "hometown", "Where did they grow up?", "text", []),
    ("personal", "lives_in", "Where do they live now (neighbourhood)?", "text", []),
    ("personal", "languages", "Languages they speak", "text", []),
    ("personal", "nationality", "Nationality or roots", "text", []),
    ("personal", "health_notes", "Anything about health we should be considerate of", "text", []),
    ("personal", "milestones", "Recent life events (move, new job, loss, baby)", "text", []),
    # Family
    ("family", "marital_status", "Marital status", "choice",
     ["Single", "Partner", "Married", "Separated", "Widowed"]),
    ("family", "partner_name", "Partner's name", "text", []),
    ("family", "partner_occupation", "Partner's occupation", "text", []),
    ("family", "wedding_anniversary", "Wedding anniversary", "date", []),
    ("family", "children_count", "Number of children", "number", []),
    ("family", "children_notes", "Children: names, ages, schools, interests", "text", []),
    ("family", "parents", "Parents and where they live", "text", []),
    ("family", "pets", "Pets and their names", "text", []),
    # Education
    ("education", "high_school", "Secondary school", "text", []),
    ("education", "university", "College or university", "text", []),
    ("education", "degree", "Degree or qualification", "text", []),
    ("education", "graduation_year", "Year of graduation", "number", []),
    ("education", "student_clubs", "Clubs, sports or societies while studying", "text", []),
    ("education", "ongoing_learning", "Courses or certifications in progress", "text", []),
    # Career
    ("career", "current_role", "Current role and what it involves", "text", []),
    ("career", "years_in_role", "Years in the current role", "number", []),
    ("career", "previous_employers", "Previous employers", "text", []),
    ("career", "career_highlight", "Career achievement they are proudest of", "text", []),
    ("career", "associations", "Professional associations and clubs", "text", []),
    ("career", "decision_maker", "Who else takes part in their buying decisions", "text", []),
    ("career", "business_anniversary", "Date their business was founded", "date", []),
    ("career", "work_style", "How they prefer to work (data, stories, quick calls)", "text", []),
    # Interests
    ("interests", "hobbies", "Hobbies", "text", []),
    ("interests", "sports_played", "Sports they play", "text", []),
    ("interests", "teams_followed", "Teams they follow", "text", []),
    ("interests", "favourite_restaurant", "Favourite restaurant", "text", []),
    ("interests", "favourite_dish", "Favourite dish or drink", "text", []),
    ("interests", "books_music", "Books, music or podcasts they enjoy", "text", []),
    ("interests", "travel", "Favourite holiday places, and trips planned", "text", []),
    ("interests", "collections", "Anything they collect", "text", []),
    ("interests", "causes", "Causes and charities they support", "text", []),
    # Lifestyle
    ("lifestyle", "dietary", "Food preferences or restrictions", "text", []),
    ("lifestyle", "drinks_alcohol", "Do they drink alcohol?", "choice", ["Yes", "No", "Rarely"]),
    ("lifestyle", "smokes", "Do they smoke?", "choice", ["Yes", "No"]),
    ("lifestyle", "car", "Car they drive", "text", []),
    ("lifestyle", "weekend", "How they spend a typical weekend", "text", []),
    ("lifestyle", "morning_or_evening", "Morning person or evening person?", "choice",
     ["Morning", "Evening", "Either"]),
    ("lifestyle", "gift_ideas", "Gifts they would appreciate", "text", []),
    ("lifestyle", "topics_to_avoid", "Topics to avoid", "text", []),
    # Goals and concerns
    ("goals", "long_term_goal", "Long-term business goal", "text", []),
    ("goals", "personal_goal", "Personal goal for the next few years", "text", []),
    ("goals", "concern_this_year", "Biggest concern this year", "text", []),
    ("goals", "retirement_plans", "Plans for retirement", "text", []),
    ("goals", "what_success_means", "What success looks like to them", "text", []),
    ("goals", "we_could_help", "Where we could help them next", "text", []),
    # Our relationship
    ("relationship", "contact_preference", "How they like to be contacted", "choice",
     ["Phone", "Email", "Text message", "In person", "Letter"]),
    ("relationship", "best_time", "Best time of day to reach them", "text", []),
    ("relationship", "contact_frequency", "How often they want to hear from us", "choice",
     ["Weekly", "Monthly", "Quarterly", "Only when needed"]),
    ("relationship", "why_us", "Why they chose us", "text", []),
    ("relationship", "competitors_used", "Other suppliers they use or have used", "text", []),
    ("relationship", "complaints", "Problems we have had, and how they were solved", "text", []),
    ("relationship", "referrals_given", "People they have introduced to us", "text", []),
    ("relationship", "what_they_value", "What they value most in our service", "text", []),
    ("relationship", "next_step", "Next thing we agreed to do for them", "text", []),
]  # fmt: skip
