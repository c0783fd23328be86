from synthetic.cli import app

app()
