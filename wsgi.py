from petitions import create_app

app = create_app()
